/**
 * bench/api — sustained POST /api/orders (3 items, a fresh Idempotency-Key each) and
 * GET /api/orders/{id} at fixed concurrency against a real API process on loopback (load from
 * autocannon), then pgbench running the same SQL directly on the same PostgreSQL: the ratio
 * API ÷ pgbench says how close the API gets to this machine's database limit. Finally a POST
 * run paced at 50% of the measured maximum for the latency goal, and the API's peak RSS.
 *
 *   node bench/api/run.ts            (env: BENCH_CONNECTIONS=16 BENCH_SECONDS=15 BENCH_DURABLE=0)
 *   BENCH_CPU_PROF=<dir>             also writes a V8 CPU profile of the API process into <dir>
 *   BENCH_API_ROOT=<checkout>        runs the API and simulator of another checkout (A/B against a
 *                                    git worktree of an older commit; pgbench stays this one's)
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import autocannon from "autocannon";
import { sign } from "hono/jwt";
import pg from "pg";
import { type CpuSample, cpuPerRequest, cpuSampler } from "./cpu.ts";
import { createOrderScript, getOrderScript } from "./pgbench-scripts.ts";

const root = process.env.BENCH_API_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SECRET = "bench-secret-that-is-at-least-32-characters";
const children: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

function startNode(script: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(root, script)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

const peakRssMb = (pid: number) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

interface Figures {
  rps: number;
  /** Requests (transactions) completed in the run. */
  total: number;
  p50: number;
  p99: number;
  errors: number;
}

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

/** pgbench running `script` (the text of a pgbench script, see pgbench-scripts.ts). */
function pgbench(url: string, name: string, script: string, seconds: number): Figures {
  const binary = ["/usr/bin/pgbench", ...readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`)].find(
    existsSync,
  );
  if (!binary) throw new Error("pgbench not found (apt-get install postgresql-client)");
  const dir = mkdtempSync(join(tmpdir(), "pgbench-"));
  const scriptFile = join(dir, name);
  writeFileSync(scriptFile, script);
  try {
    const out = execFileSync(
      binary,
      [
        "-n",
        "-M",
        "prepared",
        "-c",
        String(CONNECTIONS),
        "-j",
        "2",
        "-T",
        String(seconds),
        "-f",
        scriptFile,
        "-l",
        `--log-prefix=${dir}/tx`,
        url,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
    const latencies = readdirSync(dir)
      .filter((f) => f.startsWith("tx"))
      .flatMap((f) => readFileSync(join(dir, f), "utf8").trim().split("\n"))
      .map((line) => Number(line.split(" ")[2]) / 1000)
      .sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
    return { rps: tps, total: latencies.length, p50: pct(50), p99: pct(99), errors: failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (f: Figures) =>
  `${f.rps.toFixed(0).padStart(7)} /s   p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99.toFixed(1).padStart(6)} ms   errors ${f.errors}`;

const database = await startLocalPostgres({ durable: process.env.BENCH_DURABLE === "1", settings: { max_connections: 200 } });
try {
  await migrate(database.url);
  const simPort = await freePort();
  const apiPort = await freePort();
  const simulator = startNode("devkit/simulators/src/inventory/main.ts", { PORT: String(simPort), LOG_LEVEL: "warn" });
  const api = startNode(
    "apps/api/src/main.ts",
    {
      PORT: String(apiPort),
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: String(CONNECTIONS),
      JWT_SECRET: SECRET,
      INVENTORY_URL: `http://127.0.0.1:${simPort}`,
      LOG_LEVEL: "warn",
      // One load generator on one address is not abuse: per-client limits (issue 12) belong to a
      // production edge, and left on they turn this run into a measurement of 429s.
      RATE_LIMIT_ENABLED: "false",
    },
    process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
  );
  const base = `http://127.0.0.1:${apiPort}`;
  await waitFor(`http://127.0.0.1:${simPort}/healthz`);
  await waitFor(`${base}/readyz`);
  const cpu = cpuSampler({ api: api.pid as number, simulator: simulator.pid as number, postgresDataDir: database.dataDir });
  let mark: CpuSample = cpu();
  /** CPU per request since the previous call. */
  const cpuLine = (requests: number) => {
    const now = cpu();
    const line = `                           ${cpuPerRequest(mark, now, requests)}`;
    mark = now;
    return line;
  };

  const jwt = await sign({ sub: "bench", exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET, "HS256");
  const body = JSON.stringify({
    userId: "bench",
    items: [
      { productId: "abc", quantity: 1 },
      { productId: "sku-1", quantity: 1 },
      { productId: "sku-2", quantity: 1 },
    ],
    shippingAddress: "Bhubaneswar",
    paymentMethod: "card",
  });
  const headers = { authorization: `Bearer ${jwt}`, "content-type": "application/json" };
  const postOpts = (extra: Partial<autocannon.Options> = {}): autocannon.Options => ({
    url: `${base}/api/orders`,
    method: "POST",
    headers,
    body,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...headers, "idempotency-key": randomUUID() } }) }],
    ...extra,
  });

  console.log(
    `bench/api: ${CONNECTIONS} connections, ${SECONDS} s per run, PostgreSQL ${process.env.BENCH_DURABLE === "1" ? "durable" : "fsync off"}`,
  );
  await load(postOpts({ duration: 3 })); // warm-up: JIT, prepared statements, pool
  cpuLine(1);
  const post = await load(postOpts());
  console.log(`API  POST /api/orders      ${fmt(post)}`);
  console.log(cpuLine(post.total));

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

  const paced = await load(postOpts({ overallRate: Math.max(1, Math.floor(post.rps / 2)) }));
  console.log(`API  POST at 50% of max    ${fmt(paced)}`);
  console.log(cpuLine(paced.total));
  const rss = peakRssMb(api.pid as number);

  await client.query("CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM (SELECT id FROM orders LIMIT 2000) o");
  await client.query("CREATE UNIQUE INDEX ON bench_ids (n)");
  await client.end();
  cpuLine(1);
  const pgPost = pgbench(database.url, "create-order.pgbench.sql", createOrderScript(), SECONDS);
  console.log(`pgbench create-order tx    ${fmt(pgPost)}`);
  console.log(cpuLine(pgPost.total));
  const pgGet = pgbench(database.url, "get-order.pgbench.sql", getOrderScript(), SECONDS);
  console.log(`pgbench order detail       ${fmt(pgGet)}`);
  console.log(cpuLine(pgGet.total));

  console.log(`ratio API ÷ pgbench: POST ${(post.rps / pgPost.rps).toFixed(2)}   GET ${(get.rps / pgGet.rps).toFixed(2)}   (goal ≥ 0.6)`);
  console.log(`p99 at 50% of max POST throughput: ${paced.p99.toFixed(1)} ms (goal < 50 ms)`);
  console.log(`API peak RSS: ${rss.toFixed(0)} MiB`);
} finally {
  // Wait for the children to exit: a CPU profile is written on exit.
  await Promise.all(
    children.map((c) => (c.exitCode !== null ? undefined : new Promise((resolve) => c.once("exit", resolve).kill("SIGTERM")))),
  );
  await database.stop();
}
