/**
 * bench/relay (`npm run bench:relay [-- --rows 200000 --rate 1000 --seconds 20 --batch 500 --concurrency 2]`):
 * 1. pre-fills N outbox rows and measures the relay's drain rate (events/s);
 * 2. the physical limit on the same broker, at steady state (issue 17): Kafka's Java producer
 *    sending the relay's exact records — keys, values and CloudEvents headers taken from the
 *    drained outbox — with the relay's acks, idempotence and in-flight settings and one producer
 *    per batch in flight, `--perf-warmup` s of warm-up then `--perf-seconds` s measured
 *    (ExactRecordPerformance.java); and Kafka's stock ProducerPerformance with the relay's values
 *    and integer keys (it cannot send headers), sized to run ≥ `--perf-seconds` after its warm-up
 *    records; prints relay ÷ each;
 * 3. measures commit→ack latency p50/p99 under a steady insert load, and counts the outbox
 *    NOTIFYs the writers sent meanwhile (none while the relay is busy: migration 0120).
 * `--durable` runs PostgreSQL with fsync=on and synchronous_commit=on (default: the fast server).
 * Uses $DATABASE_URL / $KAFKA_BROKERS when set, otherwise throw-away local servers.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPool, migrate } from "@orders/db";
import { createKafka, ensureTopics } from "@orders/kafka";
import { ensureKafkaToolsClasspath, findJava, startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";
import { createLogger } from "@orders/runtime";
import { ManagedProcess } from "@orders/stack";
import pg from "pg";
import * as v from "valibot";
import { RelayConfigSchema } from "../../apps/relay/src/config.ts";
import { startRelay } from "../../apps/relay/src/wiring.ts";
import {
  type Drainer,
  meanRecordBytes,
  measureDrain,
  measureSteadyLatency,
  prefillOutbox,
  runExactRecordPerf,
  runProducerPerf,
  writeRecordFiles,
} from "./lib.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "20" },
    partitions: { type: "string", default: "6" },
    batch: { type: "string", default: "500" },
    concurrency: { type: "string", default: "2" },
    "perf-seconds": { type: "string", default: "20" },
    "perf-warmup": { type: "string", default: "5" },
    durable: { type: "boolean", default: false },
    // drain,perf,latency — run a subset (e.g. only the latency phase while tuning it)
    phases: { type: "string", default: "drain,perf,latency" },
  },
});
const phases = new Set(values.phases.split(","));
const ROWS = Number(values.rows);
const out = (s: string) => process.stdout.write(`${s}\n`);
/** The machine is shared: every figure is printed with the load average it was measured at. */
const load = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;

const pgServer = process.env.DATABASE_URL ? undefined : await startLocalPostgres({ durable: values.durable });
const serverUrl = process.env.DATABASE_URL ?? (pgServer?.url as string);
const kafkaServer = process.env.KAFKA_BROKERS ? undefined : await startKafka({ partitions: Number(values.partitions) });
const bootstrap = process.env.KAFKA_BROKERS ?? (kafkaServer?.bootstrap as string);

/** Orders (aggregates) the drain prefill spreads its rows over (prefillOutbox's default). */
const ROWS_ORDERS = 20_000;

function databaseUrlOf(name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freshDb(name: string): Promise<string> {
  const admin = createPool({ connectionString: serverUrl, max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  await migrate(u.toString());
  return u.toString();
}

/** The relay's environment in the bench (RELAY_JOBS off: the drain loop is what is measured). */
const relayEnv = (databaseUrl: string, topic: string) => ({
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: bootstrap,
  ORDERS_TOPIC: topic,
  KAFKA_CREATE_TOPICS: "false",
  RELAY_JOBS: "false",
  METRICS_PORT: "0",
  RELAY_BATCH_SIZE: values.batch,
  RELAY_CONCURRENCY: values.concurrency,
  LOG_LEVEL: "warn",
});

/** The relay as one in-process instance: the drain phase, where nothing else runs in this process. */
export const relayDrainer = (databaseUrl: string, topic: string, instances = 1): Drainer => ({
  name: `relay ×${instances} (batch ${values.batch}, ${values.concurrency} in flight)`,
  start: async () => {
    const config = v.parse(RelayConfigSchema, relayEnv(databaseUrl, topic));
    const relays: { stop(): Promise<void> }[] = [];
    for (let i = 0; i < instances; i++) relays.push(await startRelay(config, createLogger({ service: "bench-relay", level: "warn" })));
    return { stop: async () => void (await Promise.all(relays.map((r) => r.stop()))) };
  },
});

/**
 * The relay as its own process (apps/relay/src/main.ts), as deployed: the latency phase, where
 * this process also generates 1 000 inserts/s — in one event loop the load generator's
 * callbacks would queue in front of the relay's and inflate the latency measured.
 */
const relayProcess = (databaseUrl: string, topic: string): Drainer => ({
  name: `relay process (batch ${values.batch}, ${values.concurrency} in flight)`,
  start: async () => {
    const relay = new ManagedProcess(
      { name: "bench-relay", script: "apps/relay/src/main.ts", env: relayEnv(databaseUrl, topic) },
      tmpdir(),
    );
    await relay.start();
    return {
      stop: async () => {
        await relay.stop("SIGTERM");
        relay.close();
      },
    };
  },
});

try {
  const kafka = createKafka({ brokers: [bootstrap], clientId: "bench", logLevel: "nothing" });
  const partitions = Number(values.partitions);
  await ensureTopics(kafka, [
    { topic: "bench-relay", partitions },
    { topic: "bench-relay-latency", partitions },
    { topic: "bench-perf", partitions },
  ]);

  const figures: Record<string, unknown> = { rows: ROWS, batch: Number(values.batch), concurrency: Number(values.concurrency) };

  // 1. Drain (also fixes the record size the perf-test uses).
  let drainRate = Number.NaN;
  let recordSize = 321;
  let recordBytes = 569;
  if (phases.has("drain")) {
    const drainUrl = await freshDb("bench_relay_drain");
    const pool = createPool({ connectionString: drainUrl, max: 8 });
    const t = performance.now();
    recordSize = await prefillOutbox(pool, ROWS);
    recordBytes = await meanRecordBytes(pool);
    out(
      `prefilled ${ROWS} rows (mean value ${recordSize} B, whole record with key and headers ${recordBytes} B) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const drainer = relayDrainer(drainUrl, "bench-relay");
    const drain = await measureDrain(pool, drainer, ROWS);
    drainRate = drain.eventsPerSecond;
    out(`${drainer.name} drain: ${ROWS} events in ${drain.seconds.toFixed(1)} s = ${Math.round(drainRate)} events/s (${load()})`);
    await pool.end();
    Object.assign(figures, { recordSize, recordBytes, relayEventsPerSecond: Math.round(drainRate) });
  }

  // 2. The physical limit: the relay's own records and producer settings, at steady state.
  if (phases.has("perf")) {
    const [{ java }, tools] = await Promise.all([findJava(), ensureKafkaToolsClasspath()]);
    // Java's defaults differ (in flight 5, linger 5 ms, batch 16 KiB): these match what the relay
    // does — an idempotent producer has one produce request per connection in flight, the relay
    // sends a claimed batch at once without lingering, uncompressed.
    const perfProps = {
      acks: "all",
      "enable.idempotence": "true",
      "max.in.flight.requests.per.connection": 1,
      "linger.ms": 0,
      "batch.size": 65_536,
      "compression.type": "none",
    };
    const dir = await mkdtemp(join(tmpdir(), "bench-relay-perf-"));
    try {
      // The records of the drained outbox (or, without a drain phase, a fresh prefill of them).
      const sampleUrl = phases.has("drain") ? databaseUrlOf("bench_relay_drain") : await freshDb("bench_relay_perf");
      const samplePool = createPool({ connectionString: sampleUrl, max: 2 });
      if (!phases.has("drain")) await prefillOutbox(samplePool, 20_000);
      const files = { records: join(dir, "records.bin"), values: join(dir, "values.txt") };
      const sampled = await writeRecordFiles(samplePool, files);
      await samplePool.end();
      const producers = Number(values.concurrency);
      const seconds = Number(values["perf-seconds"]);
      const warmup = Number(values["perf-warmup"]);
      const exact = await runExactRecordPerf({
        java,
        classpath: tools.classpath,
        bootstrap,
        topic: "bench-perf",
        recordsFile: files.records,
        producers,
        warmupSeconds: warmup,
        seconds,
        producerProps: perfProps,
      });
      out(
        `Java producer, relay's exact records (${sampled} distinct, ${producers} producers): ${Math.round(exact.recordsPerSecond)} records/s (${load()}; ${exact.line})`,
      );
      // Stock ProducerPerformance (one producer; no time limit of its own): warm-up records for
      // ~`warmup` s and steady-state records for ~`seconds` s, estimated from one exact-record
      // producer's rate; if its steady state then lasted less than `seconds` (it runs faster
      // without headers, and the shared machine's load moves), once more with the count scaled up.
      const perProducer = exact.recordsPerSecond / producers;
      const warmupRecords = Math.ceil(perProducer * warmup);
      let steadyRecords = Math.ceil(perProducer * seconds * 1.5);
      const runStock = () =>
        runProducerPerf({
          java,
          classpath: tools.classpath,
          bootstrap,
          topic: "bench-perf",
          records: warmupRecords + steadyRecords,
          payloadFile: files.values,
          keyRange: ROWS_ORDERS,
          warmupRecords,
          producerProps: perfProps,
        });
      let stock = await runStock();
      let steadySeconds = steadyRecords / stock.recordsPerSecond;
      if (steadySeconds < seconds) {
        steadyRecords = Math.ceil(stock.recordsPerSecond * seconds * 1.2);
        stock = await runStock();
        steadySeconds = steadyRecords / stock.recordsPerSecond;
      }
      out(
        `ProducerPerformance, relay's values + integer keys, no headers, 1 producer: ${Math.round(stock.recordsPerSecond)} records/s ${stock.steadyState ? "steady state" : "WHOLE RUN (no steady-state line)"} over ~${steadySeconds.toFixed(0)} s (${load()}; ${stock.line})`,
      );
      const ratio = drainRate / exact.recordsPerSecond;
      const ratioStock = drainRate / stock.recordsPerSecond;
      out(
        `ratio relay ÷ Java producer = ${ratio.toFixed(2)} with the exact records, ${ratioStock.toFixed(2)} against ProducerPerformance (goal ≥ 0.5)`,
      );
      Object.assign(figures, {
        perfExactRecordsPerSecond: Math.round(exact.recordsPerSecond),
        perfStockRecordsPerSecond: Math.round(stock.recordsPerSecond),
        perfStockSteadySeconds: Math.round(steadySeconds),
        ratio: Number(ratio.toFixed(3)),
        ratioStock: Number(ratioStock.toFixed(3)),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // 3. Latency under steady load, the relay in its own process.
  if (phases.has("latency")) {
    const latUrl = await freshDb("bench_relay_latency");
    const latPool = createPool({ connectionString: latUrl, max: 8 });
    const listener = new pg.Client({ connectionString: latUrl });
    await listener.connect();
    await listener.query("LISTEN outbox_inserted");
    let notifications = 0;
    listener.on("notification", () => notifications++);
    const running = await relayProcess(latUrl, "bench-relay-latency").start();
    // Warm-up, not measured: the fresh process's first sends fetch metadata, open connections
    // to the partition leaders, initialise the idempotent producers and run cold (unJITed) code.
    await measureSteadyLatency(latPool, { ratePerSecond: Number(values.rate), seconds: 3 });
    const notifiedBefore = notifications;
    const lat = await measureSteadyLatency(latPool, { ratePerSecond: Number(values.rate), seconds: Number(values.seconds) });
    await listener.query("SELECT 1");
    const notified = notifications - notifiedBefore;
    await running.stop();
    await listener.end();
    await latPool.end();
    out(
      `steady load ${Math.round(lat.offeredPerSecond)} orders/s × ${values.seconds} s (PostgreSQL ${values.durable ? "durable" : "fsync off"}): commit→ack p50 ${lat.p50Ms.toFixed(1)} ms, p99 ${lat.p99Ms.toFixed(1)} ms, max ${lat.maxMs.toFixed(1)} ms (goal p99 < 25 ms); ${notified} writer NOTIFYs for ${lat.events} commits (${load()})`,
    );
    figures.latency = { ...lat, notifications: notified };
  }
  out(JSON.stringify(figures));
} finally {
  await kafkaServer?.stop();
  await pgServer?.stop();
}
