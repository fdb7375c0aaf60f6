import { deadLetterTopic, ensureTopics, projectTopics } from "@orders/kafka";
import { placeOrders } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { type RunningConsumer, startConsumer } from "../src/wiring.ts";
import { readTopic, result, send, testConsumerConfig, uniqueTopics, useKafkaTestbed } from "./helpers.ts";

const { db, kafka, producer, logger } = useKafkaTestbed("consumer", "consumer-test");

const configFor = (topics: ReturnType<typeof uniqueTopics>, groupId: string) => testConsumerConfig(db.url, topics, groupId);

const statusCounts = async (ids: string[]) => {
  const { rows } = await db.pool.query("SELECT status, count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) GROUP BY status", [ids]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

describe("lifecycle consumer against real Kafka and PostgreSQL", () => {
  it("applies every result once despite duplicates, dead-letters poison with reason and original headers, and reports metrics", async () => {
    const topics = uniqueTopics();
    await ensureTopics(kafka, projectTopics(topics, 3));
    const ids = await placeOrders(db.pool, 30);
    const inv = ids.flatMap((id) => [result("InventoryReserved", `inv:${id}`, id)]);
    // Every payment result twice (redelivery), and the delivery pair in reverse order
    // (OrderDelivered first: applied as "shipment implied"; the late OrderShipped is skipped, so version 4).
    const pay = ids.flatMap((id) => [result("PaymentSuccess", `pay:${id}`, id, { paymentId: "p", amount: "10.00" })]);
    const dlv = ids.flatMap((id) => [
      result("OrderDelivered", `dlv-d:${id}`, id),
      result("OrderShipped", `dlv-s:${id}`, id, { trackingId: "t" }),
    ]);
    const ghost = "0190f3a2-7b1c-7c3d-8e4f-0123456789ab";
    await send(producer, topics.inventory, [
      ...inv,
      { key: "x", value: "{not json", headers: { ce_type: "InventoryReserved", ce_id: "bad-json", traceparent: "00-abc" } },
      result("InventoryReserved", "ghost-1", ghost),
    ]);
    await send(producer, topics.payments, [...pay, ...pay, result("PaymentSuccess", "no-amount", ids[0] ?? "", { paymentId: "p" })]);

    const running: RunningConsumer = await startConsumer(configFor(topics, `g-${topics.orders}`), logger);
    try {
      await expect.poll(() => statusCounts(ids), { timeout: 60_000, interval: 250 }).toEqual({ CONFIRMED: 30 });
      await send(producer, topics.deliveries, dlv);
      await expect.poll(() => statusCounts(ids), { timeout: 60_000, interval: 250 }).toEqual({ DELIVERED: 30 });

      const { rows } = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM outbox WHERE type = 'OrderConfirmed' AND aggregateid = ANY($1::text[])) AS confirmed,
                (SELECT count(*)::int FROM pgboss.job WHERE name = 'payment-initiate' AND data->>'orderId' = ANY($1::text[])) AS jobs,
                (SELECT count(*)::int FROM order_status_history WHERE reason = 'inventory reserved; payment initiated'
                    AND order_id = ANY($1::uuid[])) AS initiated,
                (SELECT count(*)::int FROM orders WHERE id = ANY($1::uuid[]) AND version = 4) AS v4`,
        [ids],
      );
      // The topics race each other: a PaymentSuccess read before its InventoryReserved confirms
      // without a payment job, so jobs match exactly the orders whose reservation came first.
      expect(rows[0]).toEqual({ confirmed: 30, jobs: rows[0].initiated, initiated: rows[0].initiated, v4: 30 });

      const letters = [
        ...(await readTopic(kafka, deadLetterTopic(topics.inventory), 2)),
        ...(await readTopic(kafka, deadLetterTopic(topics.payments), 1)),
      ];
      const byId = Object.fromEntries(letters.map((l) => [l.headers.ce_id, l]));
      expect(byId["bad-json"]?.headers).toMatchObject({
        dlq_reason: "UNPARSEABLE",
        traceparent: "00-abc",
        dlq_original_topic: topics.inventory,
      });
      expect(byId["bad-json"]?.value).toBe("{not json");
      expect(byId["ghost-1"]?.headers).toMatchObject({ dlq_reason: "UNKNOWN_ORDER" });
      expect(byId["no-amount"]?.headers).toMatchObject({ dlq_reason: "SCHEMA_INVALID" });

      const metrics = await (await fetch(running.metricsUrl ?? "")).text();
      expect(metrics).toMatch(/consumer_duplicates_skipped_total\{[^}]*\} 30/);
      expect(metrics).toMatch(/consumer_dead_lettered_total\{[^}]*reason="UNPARSEABLE"[^}]*\} 1/);
      expect(metrics).toMatch(/consumer_events_skipped_total\{[^}]*reason="ALREADY_APPLIED"[^}]*\} 30/);
      expect(metrics).toContain("consumer_lag_records");
      expect(metrics).toContain("consumer_handler_seconds_bucket");
    } finally {
      await running.stop();
    }
  });

  it("two instances in one group share the partitions and apply each record exactly once", async () => {
    const topics = uniqueTopics();
    await ensureTopics(kafka, projectTopics(topics, 6));
    const ids = await placeOrders(db.pool, 200);
    const group = `g-${topics.orders}`;
    const a = await startConsumer(configFor(topics, group), logger);
    const b = await startConsumer(configFor(topics, group), logger);
    try {
      await send(
        producer,
        topics.inventory,
        ids.map((id) => result("InventoryReserved", `inv:${id}`, id)),
      );
      await send(
        producer,
        topics.payments,
        ids.flatMap((id) => [result("PaymentFailed", `pf:${id}`, id, { reason: "declined", retryable: false, attempt: 1 })]),
      );
      await expect.poll(() => statusCounts(ids), { timeout: 60_000, interval: 250 }).toEqual({ CANCELLED: 200 });
      // An order can be cancelled by its PaymentFailed before its InventoryReserved (another
      // topic) is applied, so wait for every record; the counts only grow, so a record applied
      // twice or a second OrderCancelled can never match.
      const counts = async () =>
        (
          await db.pool.query(
            `SELECT (SELECT count(*)::int FROM processed_messages WHERE consumer = $2) AS processed,
                    (SELECT count(*)::int FROM outbox WHERE type = 'OrderCancelled' AND aggregateid = ANY($1::text[])) AS cancelled`,
            [ids, group],
          )
        ).rows[0];
      await expect.poll(counts, { timeout: 60_000, interval: 250 }).toEqual({ processed: 400, cancelled: 200 });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
