/**
 * bench/api — sustained POST /api/orders (3 items, a fresh Idempotency-Key each) and
 * GET /api/orders/{id} at fixed concurrency against a real API process on loopback (load from
 * autocannon), then pgbench running the same SQL directly on the same PostgreSQL: the ratio
 * API ÷ pgbench says how close the API gets to this machine's database limit. Finally a POST
 * run paced at 50% of the measured maximum for the latency goal, the API's peak RSS, and the
 * cost of the outbox's wake-up trigger (pgbench create-order at 32 clients with the trigger as
 * migrated, without any, and with 0002's NOTIFY per transaction; pgbench.ts). All of it once per
 * PostgreSQL mode — `fsync-off` (the fast throw-away server) and `durable` (fsync=on,
 * synchronous_commit=on) — each on a fresh server, then every figure side by side.
 *
 *   node bench/api/run.ts            (env: BENCH_CONNECTIONS=16 BENCH_SECONDS=15
 *                                    BENCH_MODES=fsync-off,durable (BENCH_DURABLE=1: durable only)
 *                                    BENCH_WAKE_CLIENTS=32 BENCH_WAKE_SECONDS=8 BENCH_WAKE_ROUNDS=2)
 *   BENCH_CPU_PROF=<dir>             also writes a V8 CPU profile of the API process into <dir>
 *   BENCH_API_ROOT=<checkout>        runs the API and simulator of another checkout (A/B against a
 *                                    git worktree of an older commit; pgbench stays this one's)
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import autocannon from "autocannon";
import pg from "pg";
import { benchApiEnv, benchOrderRequest } from "../lib/orders.ts";
import { freePort, nodeChildren, waitFor as waitForUrl } from "../lib/processes.ts";
import { type CpuSample, cpuPerRequest, cpuSampler } from "./cpu.ts";
import { type Figures, formatWakeCost, measureWakeCost, pgbench, WAKE_VARIANTS, type WakeCost } from "./pgbench.ts";
import { createOrderScript, getOrderScript } from "./pgbench-scripts.ts";

const root = process.env.BENCH_API_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const MODES = (process.env.BENCH_MODES ?? (process.env.BENCH_DURABLE === "1" ? "durable" : "fsync-off,durable")).split(",");
for (const m of MODES) if (m !== "fsync-off" && m !== "durable") throw new Error(`BENCH_MODES: unknown mode ${m} (fsync-off, durable)`);
const WAKE = {
  clients: Number(process.env.BENCH_WAKE_CLIENTS ?? 32),
  seconds: Number(process.env.BENCH_WAKE_SECONDS ?? 8),
  rounds: Number(process.env.BENCH_WAKE_ROUNDS ?? 2),
};
const children = nodeChildren(root);
const startNode = children.start;
const stopChildren = children.stop;
const waitFor = (url: string) => waitForUrl(url, 200);

const peakRssMb = (pid: number) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

async function load(opts: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  // Only answered requests count: a 429 or 5xx is fast and would inflate the rate.
  const succeeded = result["2xx"];
  return {
    rps: succeeded / (result.duration || SECONDS),
    total: succeeded,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

const fmt = (f: Figures) =>
  `${f.rps.toFixed(0).padStart(7)} /s   p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99.toFixed(1).padStart(6)} ms   errors ${f.errors}`;

/** The machine is shared: every figure is printed with the load average it was measured at. */
const load1 = () => loadavg()[0] as number;

interface ModeFigures {
  post: Figures;
  get: Figures;
  paced: Figures;
  pgPost: Figures;
  pgGet: Figures;
  rssMb: number;
  /** CPU ms per request, total over the processes. */
  cpu: { post: number; get: number; pgPost: number; pgPaced: number; postgresPerPost: number; postgresPerPacedTx: number };
  /** POST/s an API costing no CPU could reach here, given what the other processes spend per POST. */
  ceiling: number;
  wake: WakeCost;
  load: { start: number; end: number };
}

async function runMode(mode: string): Promise<ModeFigures> {
  const database = await startLocalPostgres({ durable: mode === "durable", settings: { max_connections: 200 } });
  const loadAtStart = load1();
  try {
    await migrate(database.url);
    const simPort = await freePort();
    const apiPort = await freePort();
    const simulator = startNode("devkit/simulators/src/inventory/main.ts", { PORT: String(simPort), LOG_LEVEL: "warn" });
    const api = startNode(
      "apps/api/src/main.ts",
      benchApiEnv({ port: apiPort, databaseUrl: database.url, poolMax: CONNECTIONS, inventoryPort: simPort }),
      process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
    );
    const base = `http://127.0.0.1:${apiPort}`;
    await waitFor(`http://127.0.0.1:${simPort}/healthz`);
    await waitFor(`${base}/readyz`);
    const cpu = cpuSampler({ api: api.pid as number, simulator: simulator.pid as number, postgresDataDir: database.dataDir });
    let mark: CpuSample = cpu();
    let lastTotal = 0;
    let lastPostgres = 0;
    let lastApi = 0;
    /** CPU per request since the previous call. */
    const cpuLine = (requests: number) => {
      const now = cpu();
      const { line, total } = cpuPerRequest(mark, now, requests);
      lastPostgres = (now.postgres - mark.postgres) / Math.max(1, requests);
      lastApi = (now.api - mark.api) / Math.max(1, requests);
      mark = now;
      lastTotal = total;
      return `                           ${line}`;
    };

    const { body, headers } = await benchOrderRequest();
    const postOpts = (extra: Partial<autocannon.Options> = {}): autocannon.Options => ({
      url: `${base}/api/orders`,
      method: "POST",
      headers,
      body,
      requests: [{ setupRequest: (req) => ({ ...req, headers: { ...headers, "idempotency-key": randomUUID() } }) }],
      ...extra,
    });

    console.log(
      `bench/api [${mode}]: ${CONNECTIONS} connections, ${SECONDS} s per run, PostgreSQL ${mode === "durable" ? "fsync=on synchronous_commit=on" : "fsync=off synchronous_commit=off"} (load ${loadAtStart.toFixed(1)})`,
    );
    await load(postOpts({ duration: 3 })); // warm-up: JIT, prepared statements, pool
    cpuLine(1);
    const post = await load(postOpts());
    console.log(`API  POST /api/orders      ${fmt(post)}`);
    console.log(cpuLine(post.total));
    const cpuPost = lastTotal;
    const postgresPerPost = lastPostgres;
    const apiPerPost = lastApi;

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query("SELECT id FROM orders WHERE user_id = 'bench' ORDER BY random() LIMIT 2000");
    const ids = rows.map((r) => r.id as string);
    const get = await load({
      url: `${base}/api/orders/${ids[0]}`,
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, path: `/api/orders/${ids[Math.floor(Math.random() * ids.length)]}` }) }],
    });
    console.log(`API  GET  /api/orders/{id} ${fmt(get)}`);
    console.log(cpuLine(get.total));
    const cpuGet = lastTotal;

    const paced = await load(postOpts({ overallRate: Math.max(1, Math.floor(post.rps / 2)) }));
    console.log(`API  POST at 50% of max    ${fmt(paced)}`);
    console.log(cpuLine(paced.total));
    const rssMb = peakRssMb(api.pid as number);
    await stopChildren();

    await client.query("CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM (SELECT id FROM orders LIMIT 2000) o");
    await client.query("CREATE UNIQUE INDEX ON bench_ids (n)");
    await client.end();
    cpuLine(1);
    const pgPost = pgbench(database.url, "create-order.pgbench.sql", createOrderScript(), { seconds: SECONDS, clients: CONNECTIONS });
    console.log(`pgbench create-order tx    ${fmt(pgPost)}`);
    console.log(cpuLine(pgPost.total));
    const cpuPgPost = lastTotal;
    // PostgreSQL's CPU per transaction grows as the rate falls (backends sleep and wake between
    // statements; background work is spread over fewer transactions): the same transaction paced
    // at the API's POST rate tells whether the API makes the database work harder per order.
    const pgPaced = pgbench(database.url, "create-order.pgbench.sql", createOrderScript(), {
      seconds: SECONDS,
      clients: CONNECTIONS,
      rate: post.rps,
    });
    console.log(`pgbench create at API's rate ${fmt(pgPaced)}`);
    console.log(cpuLine(pgPaced.total));
    const cpuPgPaced = lastTotal;
    const postgresPerPacedTx = lastPostgres;
    const pgGet = pgbench(database.url, "get-order.pgbench.sql", getOrderScript(), { seconds: SECONDS, clients: CONNECTIONS });
    console.log(`pgbench order detail       ${fmt(pgGet)}`);
    console.log(cpuLine(pgGet.total));

    console.log(`ratio API ÷ pgbench: POST ${(post.rps / pgPost.rps).toFixed(2)}   GET ${(get.rps / pgGet.rps).toFixed(2)}   (goal ≥ 0.6)`);
    // The machine's ceiling for that ratio: PostgreSQL, the inventory simulator and the load
    // generator share the cores with the API, so even an API costing no CPU at all could not
    // serve more POSTs per second than the cores divided by what the others spend per POST.
    const ceiling = (availableParallelism() * 1000) / Math.max(0.001, cpuPost - apiPerPost);
    console.log(
      `ceiling on these ${availableParallelism()} cores with an API costing nothing: ${ceiling.toFixed(0)} POST/s = ratio ${(ceiling / pgPost.rps).toFixed(2)}`,
    );
    console.log(`p99 at 50% of max POST throughput: ${paced.p99.toFixed(1)} ms (goal < 50 ms)`);
    console.log(`API peak RSS: ${rssMb.toFixed(0)} MiB`);

    const wake = await measureWakeCost(database.url, createOrderScript(), WAKE);
    console.log(`pgbench create-order at ${WAKE.clients} clients, ${WAKE.rounds} × ${WAKE.seconds} s per variant, one LISTEN session:`);
    for (const line of formatWakeCost(wake)) console.log(line);
    return {
      post,
      get,
      paced,
      pgPost,
      pgGet,
      rssMb,
      cpu: { post: cpuPost, get: cpuGet, pgPost: cpuPgPost, pgPaced: cpuPgPaced, postgresPerPost, postgresPerPacedTx },
      wake,
      ceiling,
      load: { start: loadAtStart, end: load1() },
    };
  } finally {
    await stopChildren();
    await database.stop();
  }
}

const results = new Map<string, ModeFigures>();
try {
  for (const mode of MODES) results.set(mode, await runMode(mode));
} finally {
  await stopChildren();
}

// Side by side: one column per mode.
const rowsOut: [string, (f: ModeFigures) => string][] = [
  ["load average (start → end)", (f) => `${f.load.start.toFixed(1)} → ${f.load.end.toFixed(1)}`],
  ["API POST /s (p50 / p99 ms)", (f) => `${f.post.rps.toFixed(0)} (${f.post.p50.toFixed(0)} / ${f.post.p99.toFixed(0)})`],
  ["API GET /s (p50 / p99 ms)", (f) => `${f.get.rps.toFixed(0)} (${f.get.p50.toFixed(0)} / ${f.get.p99.toFixed(0)})`],
  ["pgbench create tx/s", (f) => f.pgPost.rps.toFixed(0)],
  ["pgbench detail tx/s", (f) => f.pgGet.rps.toFixed(0)],
  ["ratio POST / GET", (f) => `${(f.post.rps / f.pgPost.rps).toFixed(2)} / ${(f.get.rps / f.pgGet.rps).toFixed(2)}`],
  ["CPU ms: POST / pgbench create / GET", (f) => `${f.cpu.post.toFixed(2)} / ${f.cpu.pgPost.toFixed(2)} / ${f.cpu.get.toFixed(2)}`],
  ["ceiling POST/s with a zero-cost API (ratio)", (f) => `${f.ceiling.toFixed(0)} (${(f.ceiling / f.pgPost.rps).toFixed(2)})`],
  ["PG CPU ms: API POST / pgbench at its rate", (f) => `${f.cpu.postgresPerPost.toFixed(2)} / ${f.cpu.postgresPerPacedTx.toFixed(2)}`],
  ["POST at 50 %: /s, p99 ms", (f) => `${f.paced.rps.toFixed(0)}, ${f.paced.p99.toFixed(0)}`],
  ["API peak RSS MiB", (f) => f.rssMb.toFixed(0)],
  ...WAKE_VARIANTS.map((v): [string, (f: ModeFigures) => string] => [
    `pgbench ${WAKE.clients} cl.: ${v}`,
    (f) => `${f.wake.variants[v].tps.toFixed(0)} = ${(f.wake.variants[v].tps / f.wake.variants["no wake-up trigger"].tps).toFixed(2)}`,
  ]),
];
console.log("\nside by side (errors: see the lines above)");
console.log(`${"".padEnd(44)}${MODES.map((m) => m.padEnd(22)).join("")}`);
for (const [label, cell] of rowsOut) {
  console.log(`${label.padEnd(44)}${MODES.map((m) => cell(results.get(m) as ModeFigures).padEnd(22)).join("")}`);
}
