/**
 * bench/relay/claim-mark (issue 17, "a lean relay"): the drain's database work alone, no Kafka —
 * `sessions` loops of BEGIN → claimOutboxBatch → markOutboxPublished → COMMIT over a pre-filled
 * outbox, as the relay runs them. Prints the rate this alone allows, PostgreSQL's CPU per event
 * (user/system, every backend) and the client's: the ceiling the database puts on any relay of
 * this design on this machine, whatever the Kafka side costs.
 *
 *   node bench/relay/claim-mark.ts [-- --rows 200000 --batch 500 --sessions 2 --explain]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { claimOutboxBatch, createPool, markOutboxPublished, migrate, sql } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import { loadAverage, postmasterPid } from "../lib/cpu.ts";
import { prefillOutbox } from "./lib.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    batch: { type: "string", default: "500" },
    sessions: { type: "string", default: "2" },
    /** EXPLAIN (ANALYZE, BUFFERS) one claim and one mark at half the backlog. */
    explain: { type: "boolean", default: false },
    /** Experiment: drop these indexes of outbox first (comma-separated), to price each one's share of the mark. */
    "drop-index": { type: "string", default: "" },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const out = (s: string) => process.stdout.write(`${s}\n`);

/** [user, system] ticks of a pid and its waited-for children (0 once gone). */
function ticks(pid: number | "self", withChildren: boolean): [number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return withChildren ? [Number(f[11]) + Number(f[13]), Number(f[12]) + Number(f[14])] : [Number(f[11]), Number(f[12])];
  } catch {
    return [0, 0];
  }
}
function postgresTicks(postmaster: number): [number, number] {
  const total = ticks(postmaster, true);
  for (const pid of readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
    const [u, s] = ticks(Number(pid), false);
    total[0] += u;
    total[1] += s;
  }
  return total;
}

const server = await startLocalPostgres();
try {
  await migrate(server.url);
  const pool = createPool({ connectionString: server.url, max: Number(values.sessions) + 1 });
  for (const index of values["drop-index"].split(",").filter(Boolean)) await pool.query(`DROP INDEX ${index.replace(/[^a-z_]/g, "")}`);
  const size = await prefillOutbox(pool, ROWS);
  out(`prefilled ${ROWS} rows (mean value ${size} B)`);
  await pool.query("CHECKPOINT");
  const postmaster = postmasterPid(server.dataDir);
  const pg0 = postgresTicks(postmaster);
  const me0 = ticks("self", false);
  const load0 = loadAverage();
  const started = performance.now();
  let claims = 0;
  let explained = !values.explain;
  const loop = async () => {
    const client = await pool.connect();
    try {
      for (;;) {
        await client.query("BEGIN");
        const rows = await claimOutboxBatch(client, BATCH);
        claims++;
        if (rows.length === 0) {
          await client.query("COMMIT");
          // Another session holds the rest (or nothing is left).
          if ((await client.query("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL) AS any")).rows[0].any) continue;
          return;
        }
        await markOutboxPublished(
          client,
          rows.map((r) => r.sequence),
        );
        await client.query("COMMIT");
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: Number(values.sessions) }, loop));
  const seconds = (performance.now() - started) / 1000;
  const pg1 = postgresTicks(postmaster);
  const me1 = ticks("self", false);
  const us = (t: number) => ((t * 10_000) / ROWS).toFixed(1);
  out(
    `claim+mark, batch ${BATCH}, ${values.sessions} sessions${values["drop-index"] ? `, without ${values["drop-index"]}` : ""}, no Kafka: ${ROWS} rows in ${seconds.toFixed(1)} s = ${Math.round(ROWS / seconds)} rows/s, ${claims} claims (load ${load0} → ${loadAverage()})`,
  );
  out(
    `  PostgreSQL CPU per event: user ${us(pg1[0] - pg0[0])} µs, system ${us(pg1[1] - pg0[1])} µs, total ${us(pg1[0] - pg0[0] + pg1[1] - pg0[1])} µs`,
  );
  out(`  this client (pg driver, row parsing): ${us(me1[0] - me0[0] + me1[1] - me0[1])} µs per event`);
  if (!explained) {
    explained = true;
    await pool.query("TRUNCATE outbox");
    await prefillOutbox(pool, ROWS);
    const client = await pool.connect();
    try {
      // Half the backlog published first, as in the middle of a drain.
      for (let done = 0; done < ROWS / 2; ) {
        await client.query("BEGIN");
        const rows = await claimOutboxBatch(client, BATCH);
        await markOutboxPublished(
          client,
          rows.map((r) => r.sequence),
        );
        await client.query("COMMIT");
        done += rows.length;
      }
      await client.query("BEGIN");
      const claim = sql.claimOutboxBatch(BATCH);
      const explain = async (q: { text: string; values: readonly unknown[] }) =>
        out(
          (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.text}`, [...q.values])).rows
            .map((r) => r["QUERY PLAN"])
            .join("\n"),
        );
      await explain(claim);
      const claimed = await client.query<{ sequence: string }>(claim.text, [...claim.values]);
      await explain(sql.markOutboxPublished(claimed.rows.map((r) => r.sequence)));
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
  }
  await pool.end();
} finally {
  await server.stop();
}
