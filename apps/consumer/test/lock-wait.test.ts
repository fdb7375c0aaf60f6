import { ensureTopics, projectTopics } from "@orders/kafka";
import { placeOrders } from "@orders/testkit";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startConsumer } from "../src/wiring.ts";
import { result, send, testConsumerConfig, uniqueTopics, useKafkaTestbed } from "./helpers.ts";

/**
 * The issue-10 incident, end to end: another session (a paused consumer mid-transaction) holds
 * an order's row lock while a second consumer gets that order's records. The consumer waits
 * (partition paused, member kept in the group), stops cleanly if asked to, and once the lock is
 * gone applies each record exactly once — nothing is dead-lettered.
 */
const { db, kafka, producer, logger } = useKafkaTestbed("lockwait", "lock-wait-test");

const configFor = (topics: ReturnType<typeof uniqueTopics>, groupId: string) => testConsumerConfig(db.url, topics, groupId, { poolMax: 4 });

const metricValue = (text: string, name: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);

describe("consumer facing another session's row lock", () => {
  it("waits with the partition paused, stops cleanly while waiting, and applies everything exactly once after the lock goes", async () => {
    const topics = uniqueTopics();
    await ensureTopics(kafka, projectTopics(topics, 1));
    const [locked, other] = (await placeOrders(db.pool, 2)) as [string, string];
    // The consumer's lock waits end in 55P03 (its pool's lock_timeout, or this database default
    // where the pool sets none), as the incident's ended in 57014 (statement_timeout): both are
    // transient, neither may dead-letter the record.
    await db.pool.query(`ALTER DATABASE ${db.name} SET lock_timeout = '300ms'`);

    const holder = new pg.Client({ connectionString: db.url });
    holder.on("error", () => {});
    await holder.connect();
    // The paused consumer of the incident: no server-side bound ends its transaction here.
    await holder.query("SET idle_in_transaction_session_timeout = 0");
    await holder.query("BEGIN");
    await holder.query("SELECT id FROM orders WHERE id = $1 FOR UPDATE", [locked]);
    const group = `g-${topics.orders}`;
    try {
      await send(producer, topics.inventory, [
        result("InventoryReserved", `inv:${locked}`, locked),
        result("InventoryReserved", `inv:${other}`, other),
      ]);
      await send(producer, topics.payments, [result("PaymentSuccess", `pay:${locked}`, locked, { paymentId: "p", amount: "10.00" })]);

      const first = await startConsumer(configFor(topics, group), logger);
      let stopped = false;
      try {
        // Both inventory records share one partition and one chunk: the chunk waits as a whole.
        await expect
          .poll(async () => metricValue(await (await fetch(first.metricsUrl ?? "")).text(), "consumer_waiting_chunks"), {
            timeout: 60_000,
            interval: 250,
          })
          .toBeGreaterThanOrEqual(1);
        await new Promise((r) => setTimeout(r, 3_000));
        const metrics = await (await fetch(first.metricsUrl ?? "")).text();
        expect(metricValue(metrics, "consumer_transaction_retries_total")).toBeGreaterThan(0);
        expect(metricValue(metrics, "consumer_dead_lettered_total")).toBe(0);
        const { rows } = await db.pool.query("SELECT inventory_status FROM orders WHERE id = $1", [locked]);
        expect(rows[0].inventory_status).toBe("PENDING");

        const stopStarted = Date.now();
        await first.stop();
        stopped = true;
        // A stop is noticed between two attempts; the statement in flight still runs to its
        // lock_timeout (10 s by default), so the bound is that plus an ordinary stop.
        expect(Date.now() - stopStarted).toBeLessThan(30_000);
      } finally {
        if (!stopped) await first.stop();
      }
    } finally {
      await holder.query("COMMIT");
      await holder.end();
    }

    // Nothing of the abandoned chunk was committed: the next member of the group gets it again.
    const second = await startConsumer(configFor(topics, group), logger);
    try {
      const state = async () =>
        (
          await db.pool.query(
            `SELECT (SELECT status FROM orders WHERE id = $1) AS locked, (SELECT inventory_status FROM orders WHERE id = $2) AS other,
                    (SELECT count(*)::int FROM order_status_history WHERE caused_by = ANY($3::text[])) AS timeline,
                    (SELECT count(*)::int FROM processed_messages WHERE consumer = $4) AS processed`,
            [locked, other, [`inv:${locked}`, `inv:${other}`, `pay:${locked}`], group],
          )
        ).rows[0];
      await expect
        .poll(state, { timeout: 60_000, interval: 250 })
        .toEqual({ locked: "CONFIRMED", other: "RESERVED", timeline: 3, processed: 3 });
      const metrics = await (await fetch(second.metricsUrl ?? "")).text();
      expect(metricValue(metrics, "consumer_dead_lettered_total")).toBe(0);
    } finally {
      await second.stop();
      await db.pool.query(`ALTER DATABASE ${db.name} RESET lock_timeout`);
    }
  });
});
