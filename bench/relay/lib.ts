/**
 * Building blocks of bench/relay, exported so another drain (e.g. Debezium) can be measured in
 * the same run with the same data: prefill, drain timing, steady-load latency, perf-test.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { uuidv7 } from "@orders/domain";
import { type OutboxEventSource, outboxRecord } from "@orders/kafka";
import type pg from "pg";

/** Something that drains the outbox to Kafka until stopped (a relay, a connector, …). */
export interface Drainer {
  readonly name: string;
  start(): Promise<{ stop(): Promise<void> }>;
}

/** Bench-only SQL (generating load is not part of the service's query catalogue). */
const PREFILL_SQL = `
  INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
  SELECT gen_random_uuid(), 'order', o.agg::text, CASE WHEN g % 3 = 0 THEN 'OrderCreated' ELSE 'OrderConfirmed' END,
         jsonb_build_object('orderId', o.agg::text, 'userId', 'user-' || (g % 997), 'totalAmount', '123.45', 'currency', 'EUR',
                            'items', jsonb_build_array(jsonb_build_object('productId', 'sku-' || (g % 101), 'quantity', 2, 'unitPrice', '61.72')),
                            'pad', repeat('x', $3)),
         '/order-service/bench', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    FROM generate_series($1::int, $2::int) AS g
    JOIN LATERAL (SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g % $4), 12, '0'))::uuid AS agg) o ON true`;

/** Inserts `rows` unpublished outbox rows over `orders` aggregates in chunks; returns the mean value size in bytes. */
export async function prefillOutbox(
  pool: pg.Pool,
  rows: number,
  options: { orders?: number; padBytes?: number; chunk?: number } = {},
): Promise<number> {
  const chunk = options.chunk ?? 20_000;
  for (let from = 1; from <= rows; from += chunk) {
    await pool.query(PREFILL_SQL, [from, Math.min(rows, from + chunk - 1), options.padBytes ?? 120, options.orders ?? 20_000]);
  }
  await pool.query("ANALYZE outbox");
  const { rows: r } = await pool.query("SELECT avg(octet_length(payload::text))::int AS size FROM outbox");
  return r[0].size as number;
}

/** Cheap "anything left?" probe for the drain timer (a count over 200 000 rows every poll loads the server under test). */
export const anyUnpublished = async (pool: pg.Pool) =>
  (await pool.query("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL) AS any")).rows[0].any as boolean;

/**
 * Mean bytes of the relay's Kafka record (key + value + every header name and value) over a
 * sample of rows: the record size to give ProducerPerformance for a byte-for-byte comparison
 * (it sends a value only, no key or headers).
 */
export async function meanRecordBytes(pool: pg.Pool, sample = 2_000): Promise<number> {
  const { rows } = await pool.query(
    `SELECT id, aggregateid AS "aggregateId", type, payload::text AS payload, ce_specversion AS "specVersion",
            ce_source AS source, ce_time AS time, content_type AS "contentType", traceparent
       FROM outbox LIMIT $1`,
    [sample],
  );
  let total = 0;
  for (const row of rows as OutboxEventSource[]) {
    const r = outboxRecord(row);
    total += Buffer.byteLength(r.key) + Buffer.byteLength(r.value);
    for (const [name, value] of Object.entries(r.headers)) total += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return Math.round(total / Math.max(1, rows.length));
}

export const unpublished = async (pool: pg.Pool) =>
  (await pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL")).rows[0].n as number;

/** Starts the drainer and measures how long it takes until nothing is unpublished. */
export async function measureDrain(pool: pg.Pool, drainer: Drainer, total: number): Promise<{ seconds: number; eventsPerSecond: number }> {
  const started = performance.now();
  const running = await drainer.start();
  try {
    while (await anyUnpublished(pool)) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await running.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, eventsPerSecond: total / seconds };
}

const nowMs = () => performance.timeOrigin + performance.now();

export interface LatencyResult {
  readonly events: number;
  readonly offeredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Steady load: `ratePerSecond` single-row transactions (one order's event each) for
 * `seconds`, spread over `connections`; latency = published_at (set right after the ack) −
 * the moment COMMIT returned to the writer.
 */
export async function measureSteadyLatency(
  pool: pg.Pool,
  options: { ratePerSecond: number; seconds: number; connections?: number; padBytes?: number },
): Promise<LatencyResult> {
  const committed = new Map<string, number>();
  const total = options.ratePerSecond * options.seconds;
  const tickMs = 10;
  const perTick = (options.ratePerSecond * tickMs) / 1000;
  const started = nowMs();
  let sent = 0;
  const inflight = new Set<Promise<void>>();
  const pad = "x".repeat(options.padBytes ?? 120);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((nowMs() - started) / tickMs) * perTick));
    while (sent < due) {
      sent++;
      const id = uuidv7();
      const agg = uuidv7();
      const p = pool
        .query(
          `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
           VALUES ($1, 'order', $2, 'OrderCreated', $3, '/order-service/bench', $4)`,
          [id, agg, JSON.stringify({ orderId: agg, totalAmount: "123.45", currency: "EUR", pad }), new Date().toISOString()],
        )
        .then(() => {
          committed.set(id, nowMs());
        });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, tickMs / 2));
  }
  await Promise.all(inflight);
  while ((await unpublished(pool)) > 0) await new Promise((r) => setTimeout(r, 100));
  const { rows } = await pool.query(
    "SELECT id::text, extract(epoch FROM published_at) * 1000 AS at FROM outbox WHERE id = ANY($1::uuid[])",
    [[...committed.keys()]],
  );
  const latencies = rows.map((r) => Number(r.at) - (committed.get(r.id) ?? Number.NaN)).filter(Number.isFinite);
  if (process.env.BENCH_LATENCY_TRACE) {
    // Per 250 ms window of commit time: the worst latency, to tell spikes from a general tail.
    const windows = new Map<number, number>();
    for (const r of rows) {
      const c = committed.get(r.id);
      if (c === undefined) continue;
      const w = Math.floor((c - started) / 250);
      windows.set(w, Math.max(windows.get(w) ?? 0, Number(r.at) - c));
    }
    const line = [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => Math.round(v));
    process.stderr.write(`worst latency per 250 ms window: ${line.join(" ")}\n`);
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    events: latencies.length,
    offeredPerSecond: total / ((nowMs() - started) / 1000),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
  };
}

/**
 * Kafka's own `kafka-producer-perf-test` (org.apache.kafka.tools.ProducerPerformance). With
 * `warmupRecords` the figure is its steady-state line (records after the warm-up only); with
 * `payloadFile` it sends those values (one per line) instead of random bytes of `recordSize`;
 * with `keyRange` integer keys round-robin in [0, keyRange) — it has no way to send headers.
 */
export async function runProducerPerf(options: {
  java: string;
  classpath: string;
  bootstrap: string;
  topic: string;
  records: number;
  recordSize?: number;
  payloadFile?: string;
  keyRange?: number;
  warmupRecords?: number;
  producerProps: Record<string, string | number>;
}): Promise<{ recordsPerSecond: number; avgLatencyMs: number; p99Ms: number; line: string; steadyState: boolean }> {
  const props = Object.entries({ "bootstrap.servers": options.bootstrap, ...options.producerProps }).map(([k, v]) => `${k}=${v}`);
  const payload = options.payloadFile ? ["--payload-file", options.payloadFile] : ["--record-size", String(options.recordSize ?? 321)];
  const keys = options.keyRange ? ["--key-distribution", "range", "--record-key-range", String(options.keyRange)] : [];
  const warmup = options.warmupRecords ? ["--warmup-records", String(options.warmupRecords)] : [];
  const { stdout } = await promisify(execFile)(
    options.java,
    [
      "-Xmx512m",
      "-cp",
      options.classpath,
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic",
      options.topic,
      "--num-records",
      String(options.records),
      ...payload,
      ...keys,
      ...warmup,
      "--throughput",
      "-1",
      "--command-property",
      ...props,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const lines = stdout.trim().split("\n");
  const steady = options.warmupRecords ? lines.find((l) => /steady/i.test(l) && /records\/sec/.test(l)) : undefined;
  const line = steady ?? lines.filter((l) => /records\/sec/.test(l)).at(-1) ?? "";
  const m = /([\d.]+) records\/sec.*?([\d.]+) ms avg latency.*?([\d.]+) ms 99th/.exec(line);
  if (!m) throw new Error(`cannot parse ProducerPerformance output: ${stdout.slice(-2000)}`);
  return { recordsPerSecond: Number(m[1]), avgLatencyMs: Number(m[2]), p99Ms: Number(m[3]), line, steadyState: steady !== undefined };
}

/** What the relay reads of a row (the claim's record columns), for records identical to its own. */
const RECORD_SAMPLE_SQL = `SELECT id, aggregateid AS "aggregateId", type, payload::text AS payload, ce_specversion AS "specVersion",
  ce_source AS source, ce_time AS time, ce_sequence AS "ceSequence", content_type AS "contentType", traceparent
  FROM outbox ORDER BY sequence LIMIT $1`;

/**
 * Writes up to `sample` of the outbox's rows as the relay's Kafka records (key, value, every
 * header — @orders/kafka's `outboxRecord`) for ExactRecordPerformance.java, and their values one
 * per line for ProducerPerformance's `--payload-file`. Returns the number of records.
 */
export async function writeRecordFiles(pool: pg.Pool, files: { records: string; values: string }, sample = 20_000): Promise<number> {
  const { rows } = await pool.query(RECORD_SAMPLE_SQL, [sample]);
  const chunks: Buffer[] = [];
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const bytes = (data: string | Buffer) => {
    const b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    chunks.push(int(b.length), b);
  };
  for (const row of rows as OutboxEventSource[]) {
    const r = outboxRecord(row);
    bytes(r.key);
    bytes(r.value);
    const headers = Object.entries(r.headers);
    chunks.push(int(headers.length));
    for (const [name, value] of headers) {
      bytes(name);
      bytes(value);
    }
  }
  await writeFile(files.records, Buffer.concat(chunks));
  await writeFile(files.values, `${rows.map((r) => String(r.payload).replaceAll("\n", " ")).join("\n")}\n`);
  return rows.length;
}

const EXACT_PERF_SOURCE = fileURLToPath(new URL("./ExactRecordPerformance.java", import.meta.url));

/** Kafka's Java producer sending the relay's own records at steady state (ExactRecordPerformance.java). */
export async function runExactRecordPerf(options: {
  java: string;
  classpath: string;
  bootstrap: string;
  topic: string;
  recordsFile: string;
  producers: number;
  warmupSeconds: number;
  seconds: number;
  producerProps: Record<string, string | number>;
}): Promise<{ recordsPerSecond: number; avgLatencyMs: number; p99Ms: number; line: string }> {
  const props = Object.entries(options.producerProps).map(([k, v]) => `${k}=${v}`);
  const { stdout } = await promisify(execFile)(
    options.java,
    [
      "-Xmx512m",
      "-cp",
      options.classpath,
      EXACT_PERF_SOURCE,
      options.bootstrap,
      options.topic,
      options.recordsFile,
      String(options.producers),
      String(options.warmupSeconds),
      String(options.seconds),
      ...props,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const line =
    stdout
      .trim()
      .split("\n")
      .find((l) => l.startsWith("exact-records:")) ?? "";
  const m = /([\d.]+) records\/s.*?avg ([\d.]+) ms, p99 ([\d.]+) ms/.exec(line);
  if (!m) throw new Error(`cannot parse ExactRecordPerformance output: ${stdout.slice(-2000)}`);
  return { recordsPerSecond: Number(m[1]), avgLatencyMs: Number(m[2]), p99Ms: Number(m[3]), line };
}
