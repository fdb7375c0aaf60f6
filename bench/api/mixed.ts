/**
 * bench/api mixed run (issue 15): POST /api/orders load plus history reads
 * (GET /api/orders/user/{userId}) at a fixed rate, against the whole write → read path on
 * loopback: API, relay → Kafka → projector → read model (a second database on the same server).
 *
 *   1. POST alone, max (CONNECTIONS connections)                       → baseline POST/s
 *   2. POST max + history reads at READ_RATE/s from the read model     → POST/s with reads
 *   3. POST max + history reads at READ_RATE/s from the write tables   → POST/s with reads (contrast)
 *   4. read-your-writes at half load: POST paced at 50 % of (1), and PROBE_RATE/s probes that
 *      POST an order and at once read the history with X-Min-Version: <id>:<Order-Version>;
 *      the probe's read latency is the read-your-writes wait (plus one read); fallbacks counted.
 *   5. the same probes with no other load: the pipeline's floor (commit → relay → Kafka → projector).
 *
 *   node bench/api/mixed.ts   (env: BENCH_CONNECTIONS=16 BENCH_SECONDS=15 BENCH_READ_RATE=200
 *                              BENCH_PROBE_RATE=20 BENCH_DURABLE=1: fsync=on)
 * Goals (issue 15): (2) ≥ 0.9 × (1); p99 of (4) < 50 ms.
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createDatabase, migrate } from "@orders/db";
import { migrateReadModel } from "@orders/db/read-model";
import { startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";
import autocannon from "autocannon";
import pg from "pg";
import { benchApiEnv, benchOrderRequest } from "../lib/orders.ts";
import { freePort, nodeChildren, waitFor as waitForUrl } from "../lib/processes.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const READ_RATE = Number(process.env.BENCH_READ_RATE ?? 200);
const PROBE_RATE = Number(process.env.BENCH_PROBE_RATE ?? 20);
const children = nodeChildren(root);
const startNode = children.start;
const stopChildren = children.stop;
const waitFor = (url: string) => waitForUrl(url, 600);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}
const figures = (r: autocannon.Result): Figures => ({
  rps: r["2xx"] / (r.duration || SECONDS),
  p50: r.latency.p50,
  p99: r.latency.p99,
  errors: r.non2xx + r.errors + r.timeouts,
});
const fmt = (f: Figures) =>
  `${f.rps.toFixed(0).padStart(6)} /s   p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99.toFixed(1).padStart(6)} ms   errors ${f.errors}`;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number);
};

const durable = process.env.BENCH_DURABLE === "1";
const loadStart = loadavg()[0] as number;
const database = await startLocalPostgres({ durable, settings: { max_connections: 200 } });
const kafka = await startKafka({ partitions: 6 });
try {
  await migrate(database.url);
  const readUrl = await createDatabase(database.url, "bench_read");
  await migrateReadModel(readUrl);
  const brokers = kafka.brokers.join(",");
  const common = { KAFKA_BROKERS: brokers, LOG_LEVEL: "warn", KAFKA_TOPIC_PARTITIONS: "6" };
  const [simPort, readApiPort, writeApiPort, relayPort, projectorPort] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  startNode("devkit/simulators/src/inventory/main.ts", { PORT: String(simPort), LOG_LEVEL: "warn" });
  startNode("apps/relay/src/main.ts", { ...common, DATABASE_URL: database.url, METRICS_PORT: String(relayPort), HOST: "127.0.0.1" });
  startNode("apps/projector/src/main.ts", { ...common, READ_MODEL_DATABASE_URL: readUrl, METRICS_PORT: String(projectorPort) });
  const apiEnv = (port: number, read: boolean) => ({
    ...benchApiEnv({ port, databaseUrl: database.url, poolMax: CONNECTIONS, inventoryPort: simPort as number }),
    ...(read ? { READ_MODEL_DATABASE_URL: readUrl, READ_YOUR_WRITES_TIMEOUT_MS: "1000" } : {}),
  });
  // Two API processes, the same code: one reads history from the read model, one from the write tables.
  startNode("apps/api/src/main.ts", apiEnv(readApiPort as number, true));
  startNode("apps/api/src/main.ts", apiEnv(writeApiPort as number, false));
  const readApi = `http://127.0.0.1:${readApiPort}`;
  const writeApi = `http://127.0.0.1:${writeApiPort}`;
  await Promise.all([
    waitFor(`http://127.0.0.1:${simPort}/healthz`),
    waitFor(`${readApi}/readyz`),
    waitFor(`${writeApi}/readyz`),
    waitFor(`http://127.0.0.1:${relayPort}/readyz`),
    waitFor(`http://127.0.0.1:${projectorPort}/readyz`),
  ]);

  // Between runs: wait until the previous run's events are published and projected, so no run
  // pays for its predecessor's backlog.
  const probeDb = new pg.Client({ connectionString: database.url });
  await probeDb.connect();
  const settle = async () => {
    for (let i = 0; i < 1200; i++) {
      const { rows } = await probeDb.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL");
      const metrics = await (await fetch(`http://127.0.0.1:${projectorPort}/metrics`)).text();
      const lag = [...metrics.matchAll(/^projection_lag_records\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
      if ((rows[0] as { n: number }).n === 0 && lag === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const { body, headers } = await benchOrderRequest();
  const post = (base: string, extra: Partial<autocannon.Options> = {}) =>
    autocannon({
      url: `${base}/api/orders`,
      method: "POST",
      headers,
      body,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [{ setupRequest: (req) => ({ ...req, headers: { ...headers, "idempotency-key": randomUUID() } }) }],
      ...extra,
    });
  const reads = (base: string) =>
    autocannon({ url: `${base}/api/orders/user/bench?limit=20`, headers, connections: 8, duration: SECONDS, overallRate: READ_RATE });

  console.log(
    `bench/api mixed: ${CONNECTIONS} POST connections, reads at ${READ_RATE}/s, ${SECONDS} s per run, PostgreSQL ${durable ? "durable" : "fsync=off"}, load ${loadStart.toFixed(1)}`,
  );
  await post(readApi, { duration: 3 }); // warm-up
  await settle();
  const alone = figures(await post(readApi));
  console.log(`1. POST alone                         ${fmt(alone)}   (load ${(loadavg()[0] as number).toFixed(1)})`);
  await settle();
  const [withReadModelPost, readModelReads] = (await Promise.all([post(readApi), reads(readApi)])).map(figures) as [Figures, Figures];
  console.log(`2. POST + reads on the read model     ${fmt(withReadModelPost)}   (load ${(loadavg()[0] as number).toFixed(1)})`);
  console.log(`   reads (read model)                 ${fmt(readModelReads)}`);
  await settle();
  const [withWritePost, writeReads] = (await Promise.all([post(writeApi), reads(writeApi)])).map(figures) as [Figures, Figures];
  console.log(`3. POST + reads on the write tables   ${fmt(withWritePost)}   (load ${(loadavg()[0] as number).toFixed(1)})`);
  console.log(`   reads (write tables)               ${fmt(writeReads)}`);

  await settle();
  // 4. read-your-writes at half load (and 5. the same probes with no other load: the pipeline's floor).
  let waits: number[] = [];
  let fallbacks = 0;
  let probes = 0;
  let probeUntil = Date.now() + SECONDS * 1000;
  const probe = async () => {
    const created = await fetch(`${readApi}/api/orders`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": randomUUID() },
      body,
    });
    const { id } = (await created.json()) as { id: string };
    const version = created.headers.get("order-version") ?? "1";
    const t0 = performance.now();
    const res = await fetch(`${readApi}/api/orders/user/bench?limit=1`, { headers: { ...headers, "x-min-version": `${id}:${version}` } });
    await res.arrayBuffer();
    waits.push(performance.now() - t0);
    probes++;
    if (res.headers.get("x-read-source") !== "read-model") fallbacks++;
  };
  const probing = async () => {
    const inFlight: Promise<void>[] = [];
    while (Date.now() < probeUntil) {
      inFlight.push(probe());
      await new Promise((r) => setTimeout(r, 1000 / PROBE_RATE));
    }
    await Promise.all(inFlight);
  };
  const prober = probing();
  const half = figures(await post(readApi, { overallRate: Math.max(1, Math.floor(alone.rps / 2)) }));
  await prober;
  const halfWaits = waits;
  const halfFallbacks = fallbacks;
  const halfProbes = probes;
  waits = [];
  fallbacks = 0;
  probes = 0;
  probeUntil = Date.now() + Math.min(SECONDS, 10) * 1000;
  await settle();
  await probing();
  // Baseline: the same read without a minimum version (what a read costs on its own).
  const plain: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await (await fetch(`${readApi}/api/orders/user/bench?limit=1`, { headers })).arrayBuffer();
    plain.push(performance.now() - t0);
  }
  console.log(`4. POST at 50 % of (1)                ${fmt(half)}   (load ${(loadavg()[0] as number).toFixed(1)})`);
  console.log(
    `   read-your-writes probes: ${halfProbes}, read with X-Min-Version p50 ${quantile(halfWaits, 0.5).toFixed(1)} ms, p99 ${quantile(halfWaits, 0.99).toFixed(1)} ms, max ${Math.max(...halfWaits).toFixed(1)} ms; fallbacks to the write side ${halfFallbacks}; the same read without X-Min-Version p50 ${quantile(plain, 0.5).toFixed(1)} ms, p99 ${quantile(plain, 0.99).toFixed(1)} ms`,
  );
  console.log(
    `5. probes alone (no other load): ${probes}, read with X-Min-Version p50 ${quantile(waits, 0.5).toFixed(1)} ms, p99 ${quantile(waits, 0.99).toFixed(1)} ms; fallbacks ${fallbacks}   (load ${(loadavg()[0] as number).toFixed(1)})`,
  );
  console.log(
    `\nPOST with reads ÷ POST alone: read model ${(withReadModelPost.rps / alone.rps).toFixed(2)}, write tables ${(withWritePost.rps / alone.rps).toFixed(2)} (goal ≥ 0.9 on the read model)`,
  );
  console.log(`p99 read-your-writes wait at half load: ${quantile(halfWaits, 0.99).toFixed(1)} ms (goal < 50 ms)`);
  await probeDb.end();
} finally {
  await stopChildren();
  await kafka.stop();
  await database.stop();
}
