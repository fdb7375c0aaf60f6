/**
 * bench/relay/claim.ts (`node bench/relay/claim.ts [-- --rows 20000 --batch 500 --claims 20]`):
 * the cost of one claim (`claimOutboxBatch`, rolled back) on two backlog shapes of the same size —
 * many orders with a few events each (the normal shape) and fewer orders than the batch size with
 * many events each (issue 17 item 5: the claim walks the whole backlog to find heads) — with the
 * planner statistics fresh. Prints the median and p90 per shape, and the rows returned.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { claimOutboxBatch, createPool, migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import { prefillOutbox } from "./lib.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "20000" },
    batch: { type: "string", default: "500" },
    claims: { type: "string", default: "20" },
    shapes: { type: "string", default: "20000,2000,200,20" },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const load = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;

const server = await startLocalPostgres();
try {
  for (const orders of values.shapes.split(",").map(Number)) {
    const name = `claim_${orders}`;
    const admin = createPool({ connectionString: server.url, max: 1 });
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = server.urlFor(name);
    await migrate(url);
    const pool = createPool({ connectionString: url, max: 2 });
    await prefillOutbox(pool, ROWS, { orders });
    const times: number[] = [];
    let returned = 0;
    const client = await pool.connect();
    try {
      for (let i = 0; i < Number(values.claims); i++) {
        await client.query("BEGIN");
        const t = performance.now();
        returned = (await claimOutboxBatch(client, BATCH)).length;
        times.push(performance.now() - t);
        await client.query("ROLLBACK");
      }
    } finally {
      client.release();
    }
    await pool.end();
    times.sort((a, b) => a - b);
    const q = (p: number) => (times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? Number.NaN).toFixed(1);
    process.stdout.write(
      `${ROWS} unpublished rows over ${orders} orders (${ROWS / orders} each): claim of ${BATCH} returns ${returned} rows, median ${q(0.5)} ms, p90 ${q(0.9)} ms (${load()})\n`,
    );
  }
} finally {
  await server.stop();
}
