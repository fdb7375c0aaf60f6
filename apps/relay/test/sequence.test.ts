import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { uuidv7 } from "@orders/domain";
import { checkSequence } from "@orders/kafka";
import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { createTopic, insertEvents, newTopic, type ReadRecord, readTopic, startTestRelay, unpublishedCount, waitFor } from "./helpers.ts";

/*
 * The per-order sequence on the wire (docs/relay.md "Per-order sequence"): every record of an
 * order carries `ce_sequence` = 1, 2, 3 … zero-padded to 10 digits, and a replay re-sends the
 * same value, so a consumer can tell a duplicate from a gap.
 */

const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const run = promisify(execFile);

const db = useFreshDatabase("relay-sequence");

const newOrderRow = async () => {
  const id = uuidv7();
  await db.pool.query(
    "INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method) VALUES ($1, 'u', 1, 'EUR', 'a', 'card')",
    [id],
  );
  return id;
};

const byPartitionOffset = (records: readonly ReadRecord[]) =>
  [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));

describe("relay per-order sequence", () => {
  it("puts ce_sequence on every record, zero-padded and contiguous per key, and a replay re-sends the same values", async () => {
    const topic = newTopic("sequence");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    const orders = await Promise.all(Array.from({ length: 6 }, newOrderRow));
    // Interleaved writers, several per order at once, and a rolled-back transaction per round.
    let n = 0;
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        orders.flatMap((aggregateId) => [
          insertEvents(db.pool, [{ id: uuidv7(), aggregateId, type: "OrderConfirmed", payload: { orderId: aggregateId, n: n++ } }]),
          insertEvents(db.pool, [{ id: uuidv7(), aggregateId, type: "OrderShipped", payload: { orderId: aggregateId, n: n++ } }]),
        ]),
      );
      const doomed = await db.pool.connect();
      try {
        await doomed.query("BEGIN");
        await insertEvents(doomed, [{ id: uuidv7(), aggregateId: orders[round] as string, type: "OrderCancelled", payload: {} }]);
        await doomed.query("ROLLBACK");
      } finally {
        doomed.release();
      }
    }
    const perOrder = 10;
    const relay = await startTestRelay(db.url, topic);
    try {
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 30_000, "published");
    } finally {
      await relay.stop();
    }
    const total = orders.length * perOrder;
    const records = await readTopic(kafka, topic, (r) => r.length >= total);
    expect(records).toHaveLength(total);

    const { rows } = await db.pool.query<{ id: string; ce_sequence: string }>("SELECT id::text, ce_sequence FROM outbox");
    const rowSequence = new Map(rows.map((r) => [r.id, r.ce_sequence]));
    const expected = Array.from({ length: perOrder }, (_, i) => String(i + 1).padStart(10, "0"));
    for (const order of orders) {
      const seqs = byPartitionOffset(records)
        .filter((r) => r.key === order)
        .map((r) => r.headers.ce_sequence);
      // In partition order (what a consumer sees): exactly 0000000001 … 0000000010.
      expect(seqs).toEqual(expected);
    }
    for (const r of records) {
      expect(r.headers.ce_sequence).toMatch(/^[0-9]{10}$/);
      expect(r.headers.ce_sequence).toBe(rowSequence.get(r.headers.ce_id as string));
    }

    // Replay one order: the same ids with the same sequences; a consumer's check calls them duplicates.
    const order = orders[0] as string;
    const env = { ...process.env, DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(","), ORDERS_TOPIC: topic };
    const { stdout } = await run(process.execPath, [CLI, "replay", "--aggregate-id", order, "--json"], { env, encoding: "utf8" });
    expect(JSON.parse(stdout)).toMatchObject({ replayed: perOrder });
    const after = await readTopic(kafka, topic, (r) => r.length >= total + perOrder);
    const mine = byPartitionOffset(after).filter((r) => r.key === order);
    expect(mine.map((r) => r.headers.ce_sequence)).toEqual([...expected, ...expected]);
    expect(mine.slice(perOrder).map((r) => r.headers.ce_id)).toEqual(mine.slice(0, perOrder).map((r) => r.headers.ce_id));
    let last = 0;
    const verdicts = mine.map((r) => {
      const check = checkSequence(last, Number(r.headers.ce_sequence));
      if (check.kind === "next") last += 1;
      return check.kind;
    });
    expect(verdicts).toEqual([...expected.map(() => "next"), ...expected.map(() => "duplicate")]);
  });

  it("sends no ce_sequence for a row whose aggregate is not an order", async () => {
    const topic = newTopic("sequence-none");
    const kafka = await createTopic(kafkaBrokers(), topic, 1);
    await db.pool.query("DELETE FROM outbox");
    const aggregateId = uuidv7();
    await insertEvents(db.pool, [{ id: uuidv7(), aggregateId, type: "OrderCreated", payload: {} }]);
    const relay = await startTestRelay(db.url, topic);
    try {
      const records = await readTopic(kafka, topic, (r) => r.length >= 1);
      expect(records[0]?.headers).not.toHaveProperty("ce_sequence");
    } finally {
      await relay.stop();
    }
  });
});
