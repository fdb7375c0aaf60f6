import { spawnSync } from "node:child_process";
import { uuidv7 } from "@orders/domain";
import { deadLetterTopic, ensureTopics, projectTopics, readDeadLetters } from "@orders/kafka";
import { kafkaBrokers, placeOrder } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { runDlqList, runDlqRedrive, runDlqShow } from "../src/cli/dlq.ts";
import { type RunningConsumer, startConsumer } from "../src/wiring.ts";
import { result, send, testConsumerConfig, uniqueTopics, useKafkaTestbed } from "./helpers.ts";

const { db, kafka, producer, logger } = useKafkaTestbed("dlq", "dlq-test");

const orderState = async (id: string) => {
  const { rows } = await db.pool.query(
    `SELECT o.status, o.inventory_status AS inventory, o.version,
            (SELECT count(*)::int FROM order_status_history h WHERE h.order_id = o.id) AS history,
            (SELECT count(*)::int FROM processed_messages p WHERE p.message_id = 'inv-early') AS processed
       FROM orders o WHERE o.id = $1`,
    [id],
  );
  return rows[0];
};

const metric = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(url)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

describe("consumer-admin dlq: list, show, re-drive a fixed poison record", () => {
  it("dead-letters an event for an order that does not exist yet, re-drives it once the order exists, and applies it exactly once", async () => {
    const topics = uniqueTopics();
    await ensureTopics(kafka, projectTopics(topics, 3));
    const orderId = uuidv7();
    const other = uuidv7();
    // The poison record (its order comes later) and one that stays unknown (a different order).
    await send(producer, topics.inventory, [
      {
        ...result("InventoryReserved", "inv-early", orderId),
        headers: { ...result("InventoryReserved", "inv-early", orderId).headers, traceparent: "00-keep" },
      },
      result("InventoryReserved", "inv-ghost", other),
    ]);
    const running: RunningConsumer = await startConsumer(testConsumerConfig(db.url, topics, `g-${topics.orders}`), logger);
    try {
      await expect.poll(async () => (await readDeadLetters(kafka, topics.inventory)).length, { timeout: 60_000, interval: 500 }).toBe(2);
      const base = { brokers: kafkaBrokers(), topics: [topics.inventory, topics.payments], progress: false } as const;
      let out = "";
      const write = (t: string) => {
        out += t;
      };

      // list / show with filters by reason, order and time.
      expect(await runDlqList({ ...base, filter: { reason: "UNKNOWN_ORDER" }, json: true, write })).toBe(2);
      const listed = JSON.parse(out);
      expect(listed.letters.map((l: { messageId: string }) => l.messageId).sort()).toEqual(["inv-early", "inv-ghost"]);
      out = "";
      expect(await runDlqShow({ ...base, filter: { orderId }, json: true, write })).toBe(1);
      const shown = JSON.parse(out).letters[0];
      expect(shown).toMatchObject({ reason: "UNKNOWN_ORDER", orderId, originalTopic: topics.inventory, type: "InventoryReserved" });
      expect(shown.headers).toMatchObject({ ce_id: "inv-early", traceparent: "00-keep" });
      expect(Object.keys(shown.headers).some((h) => h.startsWith("dlq_"))).toBe(false);
      expect(await runDlqList({ ...base, filter: { since: new Date(Date.now() + 60_000) }, json: true, write: () => {} })).toBe(0);
      expect(await runDlqList({ ...base, filter: { reason: "APPLY_FAILED" }, json: true, write: () => {} })).toBe(0);

      // Dry run sends nothing.
      expect(await runDlqRedrive({ ...base, filter: { orderId }, json: true, dryRun: true, write: () => {} })).toBe(0);

      // The fix: the order now exists. Re-drive only its letter.
      await placeOrder(db.pool, { id: orderId });
      const before = await orderState(orderId);
      expect(before).toMatchObject({ status: "PENDING", version: 1, history: 1, processed: 0 });
      expect(await runDlqRedrive({ ...base, filter: { orderId }, json: true, dryRun: false, write: () => {} })).toBe(1);
      await expect.poll(() => orderState(orderId), { timeout: 60_000, interval: 250 }).toMatchObject({ version: 2, processed: 1 });
      const applied = await orderState(orderId);
      expect(applied.inventory).toBe("RESERVED");
      const duplicatesBefore = await metric(running.metricsUrl ?? "", "consumer_duplicates_skipped_total");

      // Re-driving again (and again) changes nothing: the inbox drops the known message id.
      expect(await runDlqRedrive({ ...base, filter: { orderId }, json: true, dryRun: false, write: () => {} })).toBe(1);
      await expect
        .poll(() => metric(running.metricsUrl ?? "", "consumer_duplicates_skipped_total"), { timeout: 60_000, interval: 250 })
        .toBe(duplicatesBefore + 1);
      expect(await orderState(orderId)).toEqual(applied);
      // Pipeline health: no lag left, so not degraded (liveness is /healthz, untouched).
      const pipeline = await fetch((running.metricsUrl ?? "").replace(/\/metrics$/, "/health/pipeline"));
      expect(pipeline.status).toBe(200);
      expect(await pipeline.json()).toMatchObject({ status: "ok", checks: { consumer_lag_records: { max: 10_000 } } });
      // Re-driven records are not dead letters again; the unknown one is still there and only it.
      expect((await readDeadLetters(kafka, topics.inventory)).map((l) => l.messageId).sort()).toEqual(["inv-early", "inv-ghost"]);
    } finally {
      await running.stop();
    }
  });

  it("the CLI reads its filters and environment and answers --json", () => {
    const topic = `t-${uuidv7().slice(-8)}`;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["src/cli/main.ts", ...args], {
        encoding: "utf8",
        env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(","), INVENTORY_TOPIC: topic },
        timeout: 60_000,
      });
    const listed = run("dlq", "list", "--json", "--topic", topic);
    expect(listed.status, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ count: 0, letters: [] });
    expect(run("dlq", "list", "--since", "yesterday").status).toBe(2);
    expect(run("dlq", "bogus").status).toBe(2);
    expect(deadLetterTopic(topic)).toBe(`${topic}.dlq`);
  });
});
