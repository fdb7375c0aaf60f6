import { type LocalKafka, startKafka } from "@orders/local-kafka";
import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { startRelay } from "../src/wiring.ts";
import {
  createTopic,
  insertEvents,
  makeEvents,
  newTopic,
  orderViolations,
  quietLogger,
  readTopic,
  relayConfig,
  spawnRelay,
  unpublishedCount,
  waitFor,
  waitForLog,
} from "./helpers.ts";

const db = useFreshDatabase("relay-failures");

const publishedCount = async () =>
  (await db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL")).rows[0].n as number;

describe("relay failures", () => {
  it("loses nothing and keeps each order's order when the broker stops mid-run and comes back", async () => {
    // A broker of its own: stopping the shared one would disturb the other test files.
    const broker: LocalKafka = await startKafka({ partitions: 3 });
    const topic = newTopic("restart");
    try {
      const kafka = await createTopic(broker.brokers, topic, 3);
      const relay = await startRelay(
        relayConfig(db.url, broker.brokers, topic, {
          RELAY_BATCH_SIZE: "100",
          RELAY_SEND_TIMEOUT_MS: "5000",
          RELAY_SEND_RETRIES: "1",
          RELAY_BREAKER_THRESHOLD: "2",
        }),
        quietLogger(),
      );
      const events = makeEvents(3_000, 60);
      try {
        await insertEvents(db.pool, events.slice(0, 1_000));
        await waitFor(async () => (await publishedCount()) > 200, 30_000, "first records out");
        await broker.kill();
        await insertEvents(db.pool, events.slice(1_000, 2_000));
        await new Promise((r) => setTimeout(r, 2_000));
        const { rows } = await db.pool.query("SELECT count(*)::int AS n, max(attempts) AS a FROM outbox WHERE published_at IS NULL");
        expect(rows[0].n).toBeGreaterThan(0);
        await broker.restart();
        await insertEvents(db.pool, events.slice(2_000));
        await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 90_000, "drained after restart");
      } finally {
        await relay.stop();
      }
      const ids = new Set(events.map((e) => e.id));
      const records = await readTopic(kafka, topic, (r) => new Set(r.map((x) => x.headers.ce_id)).size >= ids.size, 60_000);
      const seen = new Set(records.map((r) => r.headers.ce_id));
      expect([...ids].filter((id) => !seen.has(id))).toEqual([]);
      expect(orderViolations(records)).toEqual([]);
      console.log(`broker restart: ${records.length - ids.size} duplicate records of ${ids.size}`);
    } finally {
      await broker.stop();
    }
  });

  it("loses nothing when the relay process is SIGKILLed mid-batch and restarted; duplicates stay within the batch in flight", async () => {
    const topic = newTopic("sigkill");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(","),
      ORDERS_TOPIC: topic,
      KAFKA_CREATE_TOPICS: "false",
      RELAY_JOBS: "false",
      METRICS_PORT: "0",
      HOST: "127.0.0.1",
      RELAY_BATCH_SIZE: "200",
      RELAY_CONCURRENCY: "2",
    };
    await db.pool.query("DELETE FROM outbox");
    const events = makeEvents(8_000, 200);
    await insertEvents(db.pool, events);
    const first = spawnRelay(env);
    await waitForLog(first, "relay started");
    await waitFor(async () => (await publishedCount()) >= 1_500, 60_000, "some published");
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    const publishedAtKill = await publishedCount();
    expect(publishedAtKill).toBeLessThan(events.length);

    const second = spawnRelay(env);
    try {
      await waitForLog(second, "relay started");
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 90_000, "drained by the restarted relay");
    } finally {
      second.kill("SIGTERM");
      const code = await new Promise((r) => second.once("exit", r));
      expect(code).toBe(0);
    }
    const records = await readTopic(kafka, topic, (r) => new Set(r.map((x) => x.headers.ce_id)).size >= events.length, 60_000);
    const seen = new Set(records.map((r) => r.headers.ce_id));
    expect(events.filter((e) => !seen.has(e.id))).toEqual([]);
    const duplicates = records.length - events.length;
    // Only the batches in flight (acked but not yet marked when the process died) can go out
    // twice: at most RELAY_CONCURRENCY × RELAY_BATCH_SIZE rows.
    expect(duplicates).toBeLessThanOrEqual(2 * 200);
    expect(orderViolations(records)).toEqual([]);
    console.log(`SIGKILL after ${publishedAtKill} marked: ${duplicates} duplicate records`);
  });
});
