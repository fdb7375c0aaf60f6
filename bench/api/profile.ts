/**
 * bench/api/profile — one kind of request at a time against a real API (POST /api/orders or
 * GET /api/orders/{id}), with the CPU of every process split into user and system time and,
 * optionally, a V8 CPU profile of the API. What `run.ts` measures, taken apart: issue 17 asks to
 * profile before fixing, and on this VM system time (socket writes and wake-ups) is a large part
 * of a request's cost, which a V8 profile alone shows only as time "in writev".
 *
 *   node bench/api/profile.ts            (env: PROFILE_REQUEST=post|get  BENCH_CONNECTIONS=16
 *                                          BENCH_SECONDS=15  BENCH_CPU_PROF=<dir>  BENCH_DURABLE=1
 *                                          PROFILE_API_FLAGS="--max-semi-space-size=16": V8 flags
 *                                          after the app's node-options, to price a heap setting)
 *                                          PROFILE_TRACING=1: every span exported over OTLP/HTTP to a
 *                                          sink in this process, to price tracing on against off)
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import autocannon from "autocannon";
import pg from "pg";
import { loadAverage, postgresUserSystem, postmasterPid, TICK_MS, userSystem } from "../lib/cpu.ts";
import { benchApiEnv, benchOrderRequest } from "../lib/orders.ts";
import { freePort, nodeChildren, waitFor } from "../lib/processes.ts";

const root = process.env.BENCH_API_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
const KIND = process.env.PROFILE_REQUEST ?? "post";
if (KIND !== "post" && KIND !== "get") throw new Error(`PROFILE_REQUEST: ${KIND} (post, get)`);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

const children = nodeChildren(root);

// An OTLP/HTTP receiver that accepts and counts export requests (their bodies are dropped).
let exports = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    exports++;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
const tracing = process.env.PROFILE_TRACING === "1";
if (tracing) await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
const tracingEnv: Record<string, string> = tracing
  ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as { port: number }).port}`, OTEL_TRACES_SAMPLER: "always_on" }
  : {};
// pg_stat_statements: which statements PostgreSQL ran per request, and what each cost it.
const database = await startLocalPostgres({
  durable: process.env.BENCH_DURABLE === "1",
  settings: { max_connections: 200, shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all" },
});
const statements = async (reset: boolean) => {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    if (reset) {
      await client.query("SELECT pg_stat_statements_reset()");
      return [];
    }
    const { rows } = await client.query(
      `SELECT calls::bigint AS calls, total_exec_time + total_plan_time AS ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
         FROM pg_stat_statements ORDER BY calls DESC LIMIT 12`,
    );
    return rows as { calls: string; ms: number; query: string }[];
  } finally {
    await client.end();
  }
};
try {
  await migrate(database.url);
  {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    await client.end();
  }
  const simPort = await freePort();
  const apiPort = await freePort();
  const simulator = children.start("devkit/simulators/src/inventory/main.ts", { PORT: String(simPort), LOG_LEVEL: "warn" });
  const api = children.start(
    "apps/api/src/main.ts",
    { ...benchApiEnv({ port: apiPort, databaseUrl: database.url, poolMax: CONNECTIONS, inventoryPort: simPort }), ...tracingEnv },
    [
      ...(process.env.PROFILE_API_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
  );
  const base = `http://127.0.0.1:${apiPort}`;
  await waitFor(`http://127.0.0.1:${simPort}/healthz`, 200);
  await waitFor(`${base}/readyz`, 200);
  const { body, headers } = await benchOrderRequest();
  const post: autocannon.Options = {
    url: `${base}/api/orders`,
    method: "POST",
    headers,
    body,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...headers, "idempotency-key": randomUUID() } }) }],
  };
  await autocannon({ ...post, connections: CONNECTIONS, duration: 3 }); // warm-up, and orders for GET
  let options = post;
  if (KIND === "get") {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const ids = (await client.query("SELECT id FROM orders ORDER BY random() LIMIT 2000")).rows.map((r) => r.id as string);
    await client.end();
    options = {
      url: `${base}/api/orders/${ids[0]}`,
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, path: `/api/orders/${ids[Math.floor(Math.random() * ids.length)]}` }) }],
    };
  }
  const postmaster = postmasterPid(database.dataDir);
  // Transactions and rows per request, from PostgreSQL's own counters (what the API really sent).
  const stats = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT xact_commit::bigint AS commits, tup_returned::bigint AS returned, tup_fetched::bigint AS fetched, tup_inserted::bigint AS inserted, tup_updated::bigint AS updated FROM pg_stat_database WHERE datname = current_database()",
    );
    await client.end();
    return rows[0] as Record<string, string>;
  };
  await new Promise((r) => setTimeout(r, 600)); // pg_stat counters flush at most once a second
  const statsBefore = await stats();
  await statements(true);
  const pids = { api: api.pid as number, simulator: simulator.pid as number };
  const before = { api: userSystem(pids.api), simulator: userSystem(pids.simulator), postgres: postgresUserSystem(postmaster) };
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: SECONDS });
  const after = { api: userSystem(pids.api), simulator: userSystem(pids.simulator), postgres: postgresUserSystem(postmaster) };
  await new Promise((r) => setTimeout(r, 1_100));
  const statsAfter = await stats();
  const ran = await statements(false);
  const n = Math.max(1, result["2xx"]);
  console.log(
    `bench/api/profile ${KIND.toUpperCase()}${tracing ? ` (tracing on: ${exports} OTLP exports)` : ""}: ${(n / SECONDS).toFixed(0)}/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  errors ${result.non2xx + result.errors}  (load ${loadAverage()})`,
  );
  console.log(
    `  PostgreSQL per request: ${Object.keys(statsAfter)
      .map((k) => `${k} ${((Number(statsAfter[k]) - Number(statsBefore[k])) / n).toFixed(1)}`)
      .join("  ")}`,
  );
  console.log("  statements per request (calls, µs of execution each):");
  for (const r of ran) {
    console.log(
      `    ${(Number(r.calls) / n).toFixed(2).padStart(6)}  ${((r.ms * 1000) / Number(r.calls)).toFixed(0).padStart(5)} µs  ${r.query}`,
    );
  }
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pids.api}/status`, "utf8"));
  console.log(
    `  API peak RSS ${hwm ? (Number(hwm[1]) / 1024).toFixed(0) : "?"} MB${process.env.PROFILE_API_FLAGS ? ` (with ${process.env.PROFILE_API_FLAGS})` : ""}`,
  );
  for (const role of ["api", "simulator", "postgres"] as const) {
    const user = ((after[role][0] - before[role][0]) * TICK_MS * 1000) / n;
    const system = ((after[role][1] - before[role][1]) * TICK_MS * 1000) / n;
    console.log(`  ${role.padEnd(10)} µs/req: user ${user.toFixed(0).padStart(5)}  system ${system.toFixed(0).padStart(5)}`);
  }
} finally {
  await children.stop();
  await database.stop();
  sink.close();
}
