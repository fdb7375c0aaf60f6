/**
 * bench/scale (`node bench/scale/run.ts [-- --instances 1,2,3 --partitions 6 --relay-events 60000
 * --consumer-events 60000]`): the scale-out curve of issue 17 — throughput of 1, 2, 3 relay
 * processes and 1, 2, 3 consumer processes over topics of ≥ 6 partitions, with the CPU each role
 * spent per event (relays or consumers, PostgreSQL, the broker) from /proc.
 *
 * Each run gets a fresh database and fresh topics on one local PostgreSQL and one broker.
 * Relays: the outbox is pre-filled (one statement), then n `apps/relay` processes drain it.
 * Consumers: orders inserted and their results pre-filled on `inventory`/`payments` (10 %
 * duplicates), then n `apps/consumer` processes (one group) apply them. The rate is measured on
 * the database's clock (first to last `published_at` / `processed_at`); CPU is taken from the
 * moment every process announced itself to the end, divided by the events done in that window.
 */
import { parseArgs } from "node:util";
import { createPool, migrate, type Pool } from "@orders/db";
import { createKafka, ensureTopics, projectTopics } from "@orders/kafka";
import { type LocalKafka, startKafka } from "@orders/local-kafka";
import { type LocalPostgres, startLocalPostgres } from "@orders/local-postgres";
import { ManagedProcess } from "@orders/stack";
import pg from "pg";
import { benchConsumer, insertOrders, peakRss, prefill } from "../consumer/lib.ts";
import { loadAverage, postgresCpuMs, processesCpuMs } from "../lib/cpu.ts";
import { prefillOutbox } from "../relay/lib.ts";

const { values } = parseArgs({
  options: {
    instances: { type: "string", default: "1,2,3" },
    partitions: { type: "string", default: "6" },
    "relay-events": { type: "string", default: "60000" },
    "consumer-events": { type: "string", default: "60000" },
    only: { type: "string" },
  },
});
const INSTANCES = values.instances.split(",").map(Number);
const PARTITIONS = Number(values.partitions);
const RELAY_EVENTS = Number(values["relay-events"]);
const CONSUMER_EVENTS = Number(values["consumer-events"]);
const out = (s: string) => process.stdout.write(`${s}\n`);

type Result = {
  role: string;
  instances: number;
  events: number;
  perSecond: number;
  cpuUs: { service: number; postgres: number; broker: number };
  rssMb: number[];
  load: string;
};

async function freshDatabase(server: LocalPostgres, label: string): Promise<{ url: string; pool: Pool }> {
  const name = `bench_scale_${label}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.urlFor(name);
  await migrate(url);
  return { url, pool: createPool({ connectionString: url, max: 4 }) };
}

function topicsFor(ns: string) {
  return { orders: `orders${ns}`, inventory: `inventory${ns}`, payments: `payments${ns}`, deliveries: `deliveries${ns}` };
}

/** Runs `processes` until `done()`; CPU of each role from all-started to done, per event finished in that window. */
async function measure(
  server: LocalPostgres,
  broker: LocalKafka,
  processes: ManagedProcess[],
  remaining: () => Promise<number>,
): Promise<{ events: number; cpuMs: { service: number; postgres: number; broker: number }; rssMb: number[] }> {
  await Promise.all(processes.map((p) => p.start(180_000)));
  const sample = () => ({
    service: processesCpuMs(processes.map((p) => p.pid)),
    postgres: postgresCpuMs(server.dataDir),
    broker: processesCpuMs([broker.pid]),
  });
  const before = sample();
  const left = await remaining();
  const started = performance.now();
  while ((await remaining()) > 0) {
    if (performance.now() - started > 900_000) throw new Error("bench/scale: no progress in 15 min");
    await new Promise((r) => setTimeout(r, 100));
  }
  const after = sample();
  const rssMb = await Promise.all(processes.map((p) => peakRss(p.pid)));
  for (const p of processes) {
    await p.stop("SIGTERM");
    p.close();
  }
  return {
    events: left,
    cpuMs: { service: after.service - before.service, postgres: after.postgres - before.postgres, broker: after.broker - before.broker },
    rssMb,
  };
}

async function relayRun(server: LocalPostgres, broker: LocalKafka, instances: number): Promise<Result> {
  const { url, pool } = await freshDatabase(server, `relay${instances}`);
  const ns = `-r${instances}-${Date.now()}`;
  const topics = topicsFor(ns);
  await ensureTopics(createKafka({ brokers: broker.brokers, clientId: "bench-scale" }), projectTopics(topics, PARTITIONS));
  // Many events per order as in life (≈ 6), over enough orders for every partition.
  await prefillOutbox(pool as unknown as pg.Pool, RELAY_EVENTS, { orders: Math.ceil(RELAY_EVENTS / 6), chunk: RELAY_EVENTS });
  const relays = Array.from(
    { length: instances },
    (_, i) =>
      new ManagedProcess(
        {
          name: `relay${ns}-${i}`,
          script: "apps/relay/src/main.ts",
          env: {
            DATABASE_URL: url,
            KAFKA_BROKERS: broker.brokers.join(","),
            ORDERS_TOPIC: topics.orders,
            KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
            METRICS_PORT: "0",
            HOST: "127.0.0.1",
            LOG_LEVEL: "warn",
          },
        },
        "/tmp",
      ),
  );
  const count = async () => Number((await pool.query("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")).rows[0].n);
  const m = await measure(server, broker, relays, count);
  const span = await pool.query("SELECT extract(epoch FROM max(published_at) - min(published_at))::float8 AS s FROM outbox");
  await pool.end();
  return result("relay", instances, RELAY_EVENTS, Math.max(0.001, span.rows[0].s), m);
}

async function consumerRun(server: LocalPostgres, broker: LocalKafka, instances: number): Promise<Result> {
  const { url, pool } = await freshDatabase(server, `consumer${instances}`);
  const ns = `-c${instances}-${Date.now()}`;
  const topics = topicsFor(ns);
  const kafka = createKafka({ brokers: broker.brokers, clientId: "bench-scale" });
  await ensureTopics(kafka, projectTopics(topics, PARTITIONS));
  const ids = await insertOrders(pool, Math.ceil(CONSUMER_EVENTS / 2));
  const { distinct } = await prefill(kafka, topics, ids);
  const group = `bench-scale${ns}`;
  const consumers = Array.from({ length: instances }, (_, i) =>
    benchConsumer({
      name: `consumer${ns}-${i}`,
      databaseUrl: url,
      brokers: broker.brokers,
      topics,
      group,
      partitionsConcurrently: Math.ceil(PARTITIONS / instances),
    }),
  );
  const count = async () =>
    distinct - Number((await pool.query("SELECT count(*) AS n FROM processed_messages WHERE consumer = $1", [group])).rows[0].n);
  const m = await measure(server, broker, consumers, count);
  const span = await pool.query(
    "SELECT extract(epoch FROM max(processed_at) - min(processed_at))::float8 AS s FROM processed_messages WHERE consumer = $1",
    [group],
  );
  await pool.end();
  return result("consumer", instances, distinct, Math.max(0.001, span.rows[0].s), m);
}

function result(role: string, instances: number, total: number, seconds: number, m: Awaited<ReturnType<typeof measure>>): Result {
  const per = (ms: number) => (ms * 1000) / Math.max(1, m.events);
  return {
    role,
    instances,
    events: total,
    perSecond: total / seconds,
    cpuUs: { service: per(m.cpuMs.service), postgres: per(m.cpuMs.postgres), broker: per(m.cpuMs.broker) },
    rssMb: m.rssMb,
    load: loadAverage(),
  };
}

const print = (r: Result) =>
  out(
    `  ${r.role} ×${r.instances}: ${r.perSecond.toFixed(0)} events/s (${r.events} events); CPU µs/event: ${r.role} ${r.cpuUs.service.toFixed(0)}` +
      ` + postgres ${r.cpuUs.postgres.toFixed(0)} + broker ${r.cpuUs.broker.toFixed(0)} = ${(r.cpuUs.service + r.cpuUs.postgres + r.cpuUs.broker).toFixed(0)};` +
      ` peak RSS ${r.rssMb.map((x) => x.toFixed(0)).join(" + ")} MB; load ${r.load}`,
  );

out(
  `bench/scale: ${PARTITIONS} partitions, instances ${INSTANCES.join("/")}, ${RELAY_EVENTS} relay events, ${CONSUMER_EVENTS} consumer events; load ${loadAverage()}`,
);
const [server, broker] = await Promise.all([startLocalPostgres(), startKafka({ partitions: PARTITIONS })]);
try {
  if (values.only !== "consumer") for (const n of INSTANCES) print(await relayRun(server, broker, n));
  if (values.only !== "relay") for (const n of INSTANCES) print(await consumerRun(server, broker, n));
} finally {
  await broker.stop();
  await server.stop();
}
process.exit(0);
