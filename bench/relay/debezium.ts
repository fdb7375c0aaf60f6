// Relay vs Debezium on this machine (issue 7, docs/benchmarks.md):
//   npm run bench -w @orders/local-connect
//   (BENCH_EVENTS=20000 BENCH_RATE=300 BENCH_SECONDS=10 BENCH_DEBEZIUM_POLL_MS=<Debezium poll.interval.ms>)
// 1. Throughput: one pre-filled outbox of BENCH_EVENTS rows, drained by Debezium (connector
//    stopped while filling, then resumed) and by the relay (apps/relay's wiring, defaults), each to its
//    own topic. Rate = records / (last broker append − first broker append); "total" also counts
//    the start (Debezium: task start after resume; relay: first claim).
// 2. Latency: BENCH_RATE single-row transactions per second for BENCH_SECONDS, published by one
//    path at a time; latency = broker append time (LogAppendTime) − the writer's COMMIT return.
// `benchDebezium()` is exported so bench/relay's own run can print the figures beside its own.
import { createPool, migrate } from "@orders/db";
import { createKafka, ensureTopics } from "@orders/kafka";
import { startOutboxCdc } from "@orders/local-connect";
import { startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";
import { createLogger } from "@orders/runtime";
import type pg from "pg";
import * as v from "valibot";
import { RelayConfigSchema } from "../../apps/relay/src/config.ts";
import { startRelay } from "../../apps/relay/src/wiring.ts";
import { readTopic, type SeenRecord } from "../../devkit/local-connect/test/helpers.ts";

/** The relay as it runs in production (apps/relay's wiring, default settings), in this process. */
async function startRealRelay(databaseUrl: string, brokers: string[], topic: string) {
  const config = v.parse(RelayConfigSchema, {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(","),
    ORDERS_TOPIC: topic,
    KAFKA_CREATE_TOPICS: "false",
    RELAY_JOBS: "false",
    METRICS_PORT: "0",
    LOG_LEVEL: "warn",
  });
  return startRelay(config, createLogger({ service: "bench-relay", level: "warn" }));
}

async function waitUntilPublished(pool: pg.Pool): Promise<void> {
  for (;;) {
    const { rows } = await pool.query("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL) AS pending");
    if (!rows[0].pending) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Figures = { events: number; eventsPerSecond: number; totalSeconds: number };
type Latency = { events: number; p50Ms: number; p99Ms: number; maxMs: number };
export type BenchResult = { throughput: { relay: Figures; debezium: Figures }; latency: { relay: Latency; debezium: Latency } };

const TOPIC_CONFIG = { "message.timestamp.type": "LogAppendTime" };

/**
 * Rows shaped like OrderCreated (~450 bytes of payload), one per new order, in transactions of
 * 1000. (`g AS correlated` makes PostgreSQL evaluate the LATERAL per row: uncorrelated, it ran
 * once per statement and gave 20 orders of 1 000 events each — see docs/benchmarks.md.)
 */
async function prefill(pool: pg.Pool, n: number): Promise<void> {
  for (let done = 0; done < n; done += 1000) {
    await pool.query({
      text: `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
             SELECT gen_random_uuid(), 'Order', agg::text, 'OrderCreated',
                    jsonb_build_object('orderId', agg::text, 'userId', 'user-' || (g % 97), 'currency', 'EUR',
                      'items', jsonb_build_array(jsonb_build_object('productId', 'sku:' || (g % 13), 'quantity', 2, 'unitPrice', '19.90')),
                      'totalAmount', '39.80', 'shippingAddress', repeat('x', 200), 'paymentMethod', 'card',
                      'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
                    '/order-service/bench', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
               FROM generate_series($1::int, $2::int) g, LATERAL (SELECT gen_random_uuid() AS agg, g AS correlated) a`,
      values: [done, Math.min(n, done + 1000) - 1],
    });
  }
}

const rate = (records: SeenRecord[], startedAt: number): Figures => {
  const ts = records.map((r) => r.timestamp).sort((a, b) => a - b);
  const span = (ts.at(-1)! - ts[0]!) / 1000;
  return {
    events: records.length,
    eventsPerSecond: Math.round((records.length - 1) / Math.max(span, 0.001)),
    totalSeconds: (ts.at(-1)! - startedAt) / 1000,
  };
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Single-row transactions at `perSecond` for `seconds`; returns commit time (ms) per event id. */
async function steadyWriter(pool: pg.Pool, perSecond: number, seconds: number): Promise<Map<string, number>> {
  const committed = new Map<string, number>();
  const total = perSecond * seconds;
  const start = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    inFlight.push(
      pool
        .query(
          `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
           VALUES (gen_random_uuid(), 'Order', gen_random_uuid()::text, 'OrderCreated', '{"bench": true}', '/bench', '2026-01-01T00:00:00.000Z')
           RETURNING id::text`,
        )
        .then(({ rows }) => {
          committed.set((rows[0] as { id: string }).id, Date.now());
        }),
    );
  }
  await Promise.all(inFlight);
  return committed;
}

function latency(records: SeenRecord[], committed: Map<string, number>): Latency {
  const ms = records
    .map((r) => {
      const id = r.headers.find(([k]) => k === "ce_id")?.[1];
      const at = id ? committed.get(id) : undefined;
      return at === undefined ? undefined : r.timestamp - at;
    })
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
  return { events: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: ms.at(-1)! };
}

/** Runs both measurements against an empty, migrated database and a broker. */
export async function benchDebezium(options: {
  databaseUrl: string;
  brokers: string[];
  events?: number;
  rate?: number;
  seconds?: number;
  /** Debezium's `poll.interval.ms` (default: the connector's own). */
  pollIntervalMs?: number;
}): Promise<BenchResult> {
  const events = options.events ?? 20_000;
  const perSecond = options.rate ?? 300;
  const seconds = options.seconds ?? 10;
  const { brokers } = options;
  const kafka = createKafka({ brokers, clientId: "bench-debezium", logLevel: "nothing" });
  const topics = ["bench_dbz_tp", "bench_relay_tp", "bench_dbz_lat", "bench_relay_lat"].map((t) => `${t}_${Date.now()}`);
  await ensureTopics(
    kafka,
    topics.map((topic) => ({ topic, partitions: 6, config: TOPIC_CONFIG })),
  );
  const [dbzTp, relayTp, dbzLat, relayLat] = topics as [string, string, string, string];
  const pool = createPool({ connectionString: options.databaseUrl, max: 20 });
  const cdc = await startOutboxCdc({
    databaseUrl: options.databaseUrl,
    bootstrap: brokers.join(","),
    topic: dbzTp,
    connector: options.pollIntervalMs ? { extra: { "poll.interval.ms": String(options.pollIntervalMs) } } : {},
  });
  try {
    const name = cdc.connector.name;
    // 1. Throughput on a pre-filled outbox.
    await cdc.worker.rest.stop(name);
    await cdc.worker.rest.waitForState(name, "STOPPED");
    await prefill(pool, events);
    const resumedAt = Date.now();
    await cdc.worker.rest.resume(name);
    const dbzRecords = await readTopic(brokers, dbzTp, (r) => r.length >= events, 600_000);
    const debeziumTp = rate(dbzRecords, resumedAt);
    await cdc.worker.rest.stop(name);
    await cdc.worker.rest.waitForState(name, "STOPPED");
    const relayStart = Date.now();
    const drainingRelay = await startRealRelay(options.databaseUrl, brokers, relayTp);
    await waitUntilPublished(pool);
    await drainingRelay.stop();
    const relayTpFigures = rate(await readTopic(brokers, relayTp, (r) => r.length >= events, 600_000), relayStart);

    // 2. Latency under a steady write rate, one path at a time.
    await cdc.worker.rest.putConnector(name, { ...cdc.connector.config, "transforms.outbox.route.topic.replacement": dbzLat });
    await cdc.worker.rest.resume(name);
    await cdc.worker.rest.waitForState(name);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const dbzCommitted = await steadyWriter(pool, perSecond, seconds);
    const dbzLatency = latency(await readTopic(brokers, dbzLat, (r) => r.length >= dbzCommitted.size, 120_000), dbzCommitted);
    await cdc.worker.rest.stop(name);
    await cdc.worker.rest.waitForState(name, "STOPPED");
    await pool.query("UPDATE outbox SET published_at = now() WHERE published_at IS NULL");

    // One relay instance, woken by LISTEN/NOTIFY, after a 2 s warm-up like Debezium's above.
    const steadyRelay = await startRealRelay(options.databaseUrl, brokers, relayLat);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const relayCommitted = await steadyWriter(pool, perSecond, seconds);
    const relayLatency = latency(await readTopic(brokers, relayLat, (r) => r.length >= relayCommitted.size, 120_000), relayCommitted);
    await steadyRelay.stop();
    return {
      throughput: { relay: relayTpFigures, debezium: debeziumTp },
      latency: { relay: relayLatency, debezium: dbzLatency },
    };
  } finally {
    await cdc.destroy();
    await pool.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [pgServer, broker] = await Promise.all([startLocalPostgres(), startKafka({ partitions: 6 })]);
  try {
    await migrate(pgServer.url);
    const result = await benchDebezium({
      databaseUrl: pgServer.url,
      brokers: broker.brokers,
      events: Number(process.env.BENCH_EVENTS ?? 20_000),
      rate: Number(process.env.BENCH_RATE ?? 300),
      seconds: Number(process.env.BENCH_SECONDS ?? 10),
      ...(process.env.BENCH_DEBEZIUM_POLL_MS ? { pollIntervalMs: Number(process.env.BENCH_DEBEZIUM_POLL_MS) } : {}),
    });
    const { throughput: t, latency: l } = result;
    console.log(`                     relay        debezium`);
    console.log(`events/s (drain)     ${String(t.relay.eventsPerSecond).padEnd(12)} ${t.debezium.eventsPerSecond}`);
    console.log(`drain total s        ${t.relay.totalSeconds.toFixed(2).padEnd(12)} ${t.debezium.totalSeconds.toFixed(2)}`);
    console.log(`commit→Kafka p50 ms  ${String(l.relay.p50Ms).padEnd(12)} ${l.debezium.p50Ms}`);
    console.log(`commit→Kafka p99 ms  ${String(l.relay.p99Ms).padEnd(12)} ${l.debezium.p99Ms}`);
    console.log(JSON.stringify(result));
  } finally {
    await broker.stop();
    await pgServer.stop();
  }
}
