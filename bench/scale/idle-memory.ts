/**
 * bench/scale/idle-memory.ts (`node bench/scale/idle-memory.ts`): what each app costs before any
 * load (issue 17 item 4): the API, the relay, the consumer and the projector started one after
 * the other as the image starts them (their node-options files), against a local PostgreSQL and
 * broker; once healthy and idle for 5 s, their resident set (VmRSS), its peak so far (VmHWM) and
 * V8's heap, read from /proc and from the process's own /metrics. The compile cache is warmed
 * first, as the image's build does (BENCH_COLD_CACHE=1: not).
 */
import { readFile } from "node:fs/promises";
import { createPool, migrate } from "@orders/db";
import { createKafka, ensureTopics, projectTopics } from "@orders/kafka";
import { startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";
import { ManagedProcess, nodeOptionsOf, warmCompileCache } from "@orders/stack";
import { loadAverage } from "../lib/cpu.ts";

const IDLE_MS = 5_000;
const out = (s: string) => process.stdout.write(`${s}\n`);

const pg = await startLocalPostgres();
await migrate(pg.url);
const admin = createPool({ connectionString: pg.url, max: 1 });
await admin.query("CREATE DATABASE idle_read_model");
await admin.end();
const kafka = await startKafka();
const brokers = kafka.bootstrap;
const topics = { ORDERS_TOPIC: "orders", INVENTORY_TOPIC: "inventory", PAYMENTS_TOPIC: "payments", DELIVERIES_TOPIC: "deliveries" };
await ensureTopics(
  createKafka({ brokers: [brokers], clientId: "idle-memory" }),
  projectTopics({ orders: "orders", inventory: "inventory", payments: "payments", deliveries: "deliveries" }, 3),
);

const common = { LOG_LEVEL: "warn", KAFKA_BROKERS: brokers, KAFKA_TOPIC_PARTITIONS: "3", ...topics };
const apps: { name: string; script: string; env: Record<string, string> }[] = [
  {
    name: "api",
    script: "apps/api/src/main.ts",
    env: {
      DATABASE_URL: pg.url,
      PORT: "0",
      HOST: "127.0.0.1",
      JWT_SECRET: "bench-secret-0123456789abcdef0123456789",
      INVENTORY_URL: "http://127.0.0.1:9",
      LOG_LEVEL: "warn",
    },
  },
  { name: "relay", script: "apps/relay/src/main.ts", env: { ...common, DATABASE_URL: pg.url, METRICS_PORT: "0", HOST: "127.0.0.1" } },
  {
    name: "consumer",
    script: "apps/consumer/src/main.ts",
    env: { ...common, DATABASE_URL: pg.url, PAYMENT_URL: "http://127.0.0.1:9", CONSUMER_GROUP_ID: "idle", METRICS_PORT: "0" },
  },
  {
    name: "projector",
    script: "apps/projector/src/main.ts",
    env: { ...common, READ_MODEL_DATABASE_URL: pg.urlFor("idle_read_model"), PROJECTOR_GROUP_ID: "idle-projector", METRICS_PORT: "0" },
  },
];

const kb = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1]) / 1048576;

try {
  for (const app of apps) {
    // As the image does at build time: its compile cache is warm when the app starts.
    if (process.env.BENCH_COLD_CACHE !== "1") warmCompileCache(app.script);
    const p = new ManagedProcess(app, "/tmp");
    await p.start(120_000);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const status = await readFile(`/proc/${p.pid}/status`, "utf8");
    const m = await (await fetch(`${p.url}/metrics`)).text().catch(() => "");
    out(
      `${app.name.padEnd(9)} [${nodeOptionsOf(app.script).join(" ")}] idle RSS ${kb(status, "VmRSS").toFixed(1)} MB, peak ${kb(status, "VmHWM").toFixed(1)} MB, ` +
        `heap used ${metric(m, "nodejs_heap_size_used_bytes").toFixed(1)} MB of ${metric(m, "nodejs_heap_size_total_bytes").toFixed(1)} MB`,
    );
    await p.stop();
    p.close();
  }
  out(`load average ${await loadAverage()}`);
} finally {
  await kafka.stop();
  await pg.stop();
}
process.exit(0);
