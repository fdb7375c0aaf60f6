/**
 * bench/relay/profile (issue 17, "a lean relay"): the drain phase of bench/relay alone, taken
 * apart — the relay as its own process (apps/relay/src/main.ts with its node-options, as
 * deployed), the CPU of every process per event split into user and system time (relay,
 * PostgreSQL, the Kafka broker), PostgreSQL's statements per batch (pg_stat_statements), the
 * relay's batches (count, mean size) from its metrics, and optionally a V8 CPU profile of it.
 *
 *   node bench/relay/profile.ts [-- --rows 200000 --batch 500 --concurrency 2 --cpu-prof <dir>]
 *
 * Extra relay settings: `--env NAME=value` (repeatable).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createPool, migrate } from "@orders/db";
import { createKafka, ensureTopics } from "@orders/kafka";
import { startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";
import { nodeOptionsOf } from "@orders/stack";
import pg from "pg";
import { loadAverage, postgresUserSystem, postmasterPid, userSystem } from "../lib/cpu.ts";
import { anyUnpublished, prefillOutbox } from "./lib.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    batch: { type: "string", default: "500" },
    concurrency: { type: "string", default: "2" },
    partitions: { type: "string", default: "6" },
    "cpu-prof": { type: "string" },
    /** The relay's stdout and stderr (e.g. with `--node-arg=--trace-gc`). */
    log: { type: "string" },
    env: { type: "string", multiple: true, default: [] },
    /** Extra node flags after the app's node-options (e.g. `--node-arg=--max-semi-space-size=16`). */
    "node-arg": { type: "string", multiple: true, default: [] },
    /** SQL run after the migrations, e.g. `--sql "DROP INDEX outbox_parked_idx"` for an A/B. */
    sql: { type: "string", multiple: true, default: [] },
  },
});
const ROWS = Number(values.rows);
const root = fileURLToPath(new URL("../../", import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);

const database = await startLocalPostgres({
  settings: { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all" },
});
const kafka = await startKafka({ partitions: Number(values.partitions) });
let relay: ChildProcess | undefined;
const stopRelay = async () => {
  const child = relay;
  relay = undefined;
  if (!child || child.exitCode !== null) return;
  // Wait for the exit: the CPU profile is written then.
  await new Promise((resolve) => child.once("exit", resolve).kill("SIGTERM"));
};
try {
  await migrate(database.url);
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  for (const statement of values.sql as string[]) await admin.query(statement);
  await ensureTopics(createKafka({ brokers: [kafka.bootstrap], clientId: "bench", logLevel: "nothing" }), [
    { topic: "bench-relay", partitions: Number(values.partitions) },
  ]);
  const pool = createPool({ connectionString: database.url, max: 4 });
  const size = await prefillOutbox(pool, ROWS);
  out(`prefilled ${ROWS} rows (mean value ${size} B)`);
  await admin.query("CHECKPOINT");
  await admin.query("SELECT pg_stat_statements_reset()");

  const postmaster = postmasterPid(database.dataDir);
  const broker = kafka.pid as number;
  const extra = Object.fromEntries((values.env as string[]).map((e) => e.split("=", 2) as [string, string]));
  const env = {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.bootstrap,
    ORDERS_TOPIC: "bench-relay",
    KAFKA_CREATE_TOPICS: "false",
    RELAY_JOBS: "false",
    METRICS_PORT: "0",
    RELAY_BATCH_SIZE: values.batch,
    RELAY_CONCURRENCY: values.concurrency,
    LOG_LEVEL: "warn",
    ...extra,
  };
  // What PostgreSQL and the broker burn with nothing to do (KRaft, checkpoints, timers): at a
  // few thousand events/s this baseline is a visible share of their CPU "per event".
  const idle0 = [postgresUserSystem(postmaster), userSystem(broker)];
  await new Promise((r) => setTimeout(r, 5_000));
  const idle1 = [postgresUserSystem(postmaster), userSystem(broker)];
  const idleMsPerS = (i: number) => (((idle1[i]?.[0] ?? 0) + (idle1[i]?.[1] ?? 0) - (idle0[i]?.[0] ?? 0) - (idle0[i]?.[1] ?? 0)) * 10) / 5;
  const pgBefore = postgresUserSystem(postmaster);
  const brokerBefore = userSystem(broker);
  const load0 = loadAverage();
  const started = performance.now();
  const script = "apps/relay/src/main.ts";
  const nodeArgs = [
    ...(values["node-arg"] as string[]),
    ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : []),
  ];
  const log = values.log ? openSync(values.log, "w") : "ignore";
  const child = spawn(process.execPath, [...nodeOptionsOf(script, root), ...nodeArgs, script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", log, values.log ? log : "inherit"],
  });
  relay = child;
  let relayTicks: [number, number] = [0, 0];
  /** The relay's CPU until its first batch was marked: start-up (module loading, schemas, connections). */
  let startup: [number, number] | undefined;
  while (await anyUnpublished(pool)) {
    relayTicks = userSystem(child.pid as number);
    if (!startup && (await pool.query("SELECT 1 FROM outbox WHERE published_at IS NOT NULL LIMIT 1")).rowCount) startup = relayTicks;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  relayTicks = userSystem(child.pid as number);
  const peakRss = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
  const pgAfter = postgresUserSystem(postmaster);
  const brokerAfter = userSystem(broker);
  const load1 = loadAverage();
  await stopRelay();

  const us = (ticks: number) => ((ticks * 10_000) / ROWS).toFixed(1);
  const row = (name: string, [u, s]: [number, number]) =>
    out(`  ${name.padEnd(10)} user ${us(u).padStart(6)} µs  system ${us(s).padStart(6)} µs  total ${us(u + s).padStart(6)} µs per event`);
  out(
    `drain: ${ROWS} events in ${seconds.toFixed(1)} s = ${Math.round(ROWS / seconds)} events/s (batch ${values.batch}, ${values.concurrency} in flight${Object.keys(extra).length ? `, ${JSON.stringify(extra)}` : ""}${(values["node-arg"] as string[]).length ? `, ${(values["node-arg"] as string[]).join(" ")}` : ""}; load ${load0} → ${load1})`,
  );
  out(`relay peak RSS ${Math.round(Number(peakRss) / 1024)} MB; CPU per event (relay including its start-up):`);
  row("relay", relayTicks);
  if (startup) row("… drain", [relayTicks[0] - startup[0], relayTicks[1] - startup[1]]);
  row("postgres", [pgAfter[0] - pgBefore[0], pgAfter[1] - pgBefore[1]]);
  row("broker", [brokerAfter[0] - brokerBefore[0], brokerAfter[1] - brokerBefore[1]]);
  out(
    `  idle baseline before the drain: PostgreSQL ${idleMsPerS(0)} ms/s, broker ${idleMsPerS(1)} ms/s (= ${((idleMsPerS(1) * 1000) / (ROWS / seconds)).toFixed(1)} µs per event of the broker's figure at this rate)`,
  );
  const { rows } = await admin.query(
    `SELECT calls::bigint AS calls, rows::bigint AS rows, round((total_exec_time + total_plan_time)::numeric, 1) AS ms,
            left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS query
       FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time + total_plan_time DESC LIMIT 10`,
  );
  const claims = Number(rows.find((r) => String(r.query).includes("WITH RECURSIVE bound"))?.calls ?? 0);
  out(`PostgreSQL statements (${claims} claims = ${(ROWS / Math.max(1, claims)).toFixed(0)} rows per claim):`);
  for (const r of rows)
    out(
      `  ${String(r.calls).padStart(7)} calls ${String(r.rows).padStart(7)} rows ${String(r.ms).padStart(9)} ms = ${((Number(r.ms) * 1000) / ROWS).toFixed(1).padStart(6)} µs/event  ${r.query}`,
    );
  await pool.end();
  await admin.end();
} finally {
  await stopRelay();
  await kafka.stop();
  await database.stop();
}
