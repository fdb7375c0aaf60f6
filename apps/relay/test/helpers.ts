import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { uuidv7 } from "@orders/domain";
import { createKafka, ensureTopics, headersAsText, type Kafka } from "@orders/kafka";
import { createLogger } from "@orders/runtime";
import { kafkaBrokers } from "@orders/testkit";
import type pg from "pg";
import * as v from "valibot";
import { type RelayConfig, RelayConfigSchema } from "../src/config.ts";
import { startRelay } from "../src/wiring.ts";

export const quietLogger = () => createLogger({ service: "relay-test", level: (process.env.TEST_LOG_LEVEL as "debug") ?? "silent" });

export const newTopic = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** A relay config for tests: own topic, no pg-boss (unless asked), fast polling, ephemeral port. */
export function relayConfig(databaseUrl: string, brokers: string[], topic: string, overrides: Record<string, string> = {}): RelayConfig {
  return v.parse(RelayConfigSchema, {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(","),
    ORDERS_TOPIC: topic,
    KAFKA_CREATE_TOPICS: "false",
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
    RELAY_JOBS: "false",
    RELAY_SWEEP_INTERVAL_MS: "200",
    RELAY_BACKOFF_MS: "100",
    RELAY_MAX_BACKOFF_MS: "1000",
    RELAY_SEND_TIMEOUT_MS: "15000",
    RELAY_BREAKER_HALF_OPEN_MS: "500",
    LOG_LEVEL: "silent",
    ...overrides,
  });
}

/** A relay on `databaseUrl` publishing to `topic` on the run's broker: test config (plus `overrides`), quiet logger. */
export const startTestRelay = (
  databaseUrl: string,
  topic: string,
  overrides: Record<string, string> = {},
  hooks?: Parameters<typeof startRelay>[2],
) => startRelay(relayConfig(databaseUrl, kafkaBrokers(), topic, overrides), quietLogger(), hooks);

export async function createTopic(brokers: string[], topic: string, partitions: number): Promise<Kafka> {
  const kafka = createKafka({ brokers, clientId: "relay-test", logLevel: "nothing" });
  await ensureTopics(kafka, [{ topic, partitions }]);
  return kafka;
}

export interface TestEvent {
  readonly id: string;
  readonly aggregateId: string;
  readonly type: string;
  readonly payload: unknown;
  readonly traceparent?: string | null;
}

/** Inserts outbox rows in the given order in one statement (one transaction unless `client` is in one). */
export async function insertEvents(db: pg.Pool | pg.PoolClient, events: readonly TestEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5_000) {
    const chunk = events.slice(i, i + 5_000);
    await db.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent)
       SELECT id, 'order', aggregateid, type, payload, '/order-service/test', ce_time, traceparent
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[])
              WITH ORDINALITY AS t(id, aggregateid, type, payload, ce_time, traceparent, n)
        ORDER BY n`,
      [
        chunk.map((e) => e.id),
        chunk.map((e) => e.aggregateId),
        chunk.map((e) => e.type),
        chunk.map((e) => JSON.stringify(e.payload)),
        chunk.map(() => new Date().toISOString()),
        chunk.map((e) => e.traceparent ?? null),
      ],
    );
  }
}

/** `count` events spread round-robin-ish over `orders` aggregates; payload carries the per-order index. */
export function makeEvents(count: number, orders: number): TestEvent[] {
  const ids = Array.from({ length: orders }, () => uuidv7());
  const next = new Map<string, number>();
  const events: TestEvent[] = [];
  for (let i = 0; i < count; i++) {
    const aggregateId = ids[(i * 7919) % orders] as string;
    const n = next.get(aggregateId) ?? 0;
    next.set(aggregateId, n + 1);
    events.push({ id: uuidv7(), aggregateId, type: n === 0 ? "OrderCreated" : "OrderConfirmed", payload: { orderId: aggregateId, n } });
  }
  return events;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** Reads a topic from the beginning until `predicate(records)` holds or `timeoutMs` passes. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  predicate: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`readTopic: condition not met after ${timeoutMs} ms (${records.length} records)`)),
        timeoutMs,
      );
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            records.push({
              partition: batch.partition,
              offset: m.offset,
              key: m.key?.toString("utf8") ?? "",
              value: m.value?.toString("utf8") ?? "",
              headers: headersAsText(m.headers),
            });
          }
          if (predicate(records)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Per-key order check: each order's `n` values must never go backwards (duplicates allowed). */
export function orderViolations(records: readonly ReadRecord[]): string[] {
  const lastByKey = new Map<string, number>();
  const maxByKey = new Map<string, number>();
  const violations: string[] = [];
  const byPartition = [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  for (const r of byPartition) {
    const n = (JSON.parse(r.value) as { n: number }).n;
    const max = maxByKey.get(r.key) ?? -1;
    // A duplicate re-sends an already-seen prefix; a new event must be exactly max + 1.
    if (n > max + 1) violations.push(`${r.key}: ${n} after max ${max}`);
    if (n > max) maxByKey.set(r.key, n);
    lastByKey.set(r.key, n);
  }
  return violations;
}

export const distinctIds = (records: readonly ReadRecord[]) => new Set(records.map((r) => r.headers.ce_id));

export async function unpublishedCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL");
  return rows[0].n as number;
}

export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000, label = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** The relay as a real child process (`node src/main.ts`) with the given environment. */
export function spawnRelay(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export async function waitForLog(child: ChildProcess, text: string, timeoutMs = 60_000): Promise<void> {
  let seen = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child did not log "${text}" within ${timeoutMs} ms:\n${seen.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before logging "${text}":\n${seen.slice(-2000)}`));
    });
  });
}
