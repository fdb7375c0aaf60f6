import { uuidv7 } from "@orders/domain";
import type { Kafka } from "@orders/kafka";
import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { createTopic, insertEvents, newTopic, readTopic, startTestRelay, unpublishedCount, waitFor } from "./helpers.ts";

const db = useFreshDatabase("relay-records");

describe("relay records", () => {
  it("puts key, value and every CloudEvents header on the record exactly as the outbox row holds them", async () => {
    const topic = newTopic("records");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    const orderId = uuidv7();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    // Key order, spacing and numbers as a client wrote them: jsonb normalises them, and the
    // record value must be PostgreSQL's text of the stored jsonb, byte for byte.
    await db.pool.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent)
       VALUES ($1, 'order', $2, 'OrderCreated', '{"z":1,"a":{"amount":"12.50","x":[1,2.0]},"s":"é\\u00e9"}', '/order-service/api', '2025-03-01T10:00:00.123Z', $3),
              ($4, 'order', $2, 'OrderConfirmed', '{"orderId":"x"}', '/order-service/consumer', '2025-03-01T10:00:01.000Z', NULL)`,
      [uuidv7(), orderId, traceparent, uuidv7()],
    );
    const { rows: expected } = await db.pool.query(
      `SELECT id, aggregateid, type, payload::text AS payload, ce_specversion, ce_source, ce_time, content_type, traceparent
         FROM outbox ORDER BY sequence`,
    );
    const relay = await startTestRelay(db.url, topic);
    try {
      const records = await readTopic(kafka, topic, (r) => r.length >= 2);
      expect(records).toHaveLength(2);
      for (const [i, row] of expected.entries()) {
        const rec = records[i];
        expect(rec?.key).toBe(orderId);
        expect(Buffer.from(rec?.value ?? "").equals(Buffer.from(row.payload, "utf8"))).toBe(true);
        const headers: Record<string, string> = {
          ce_specversion: "1.0",
          ce_id: row.id,
          ce_type: row.type,
          ce_source: row.ce_source,
          ce_time: row.ce_time,
          ce_subject: orderId,
          "content-type": "application/json",
        };
        if (row.traceparent) headers.traceparent = row.traceparent;
        expect(rec?.headers).toStrictEqual(headers);
      }
      expect(records[0]?.value).toBe('{"a": {"x": [1, 2.0], "amount": "12.50"}, "s": "éé", "z": 1}');
      expect(records[0]?.headers.traceparent).toBe(traceparent);
      expect(records[1]?.headers).not.toHaveProperty("traceparent");
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 10_000, "rows marked published");
    } finally {
      await relay.stop();
    }
  });

  it("never skips a row whose transaction commits after a later row's (out-of-order commit gap)", async () => {
    const topic = newTopic("gap");
    const kafka: Kafka = await createTopic(kafkaBrokers(), topic, 1);
    const relay = await startTestRelay(db.url, topic);
    const slow = await db.pool.connect();
    try {
      const orderA = uuidv7();
      const orderB = uuidv7();
      await slow.query("BEGIN");
      const lowId = uuidv7();
      // Lower sequence, held open.
      await insertEvents(slow, [{ id: lowId, aggregateId: orderA, type: "OrderCreated", payload: { orderId: orderA, n: 0 } }]);
      // Higher sequence, committed at once.
      const highId = uuidv7();
      await insertEvents(db.pool, [{ id: highId, aggregateId: orderB, type: "OrderCreated", payload: { orderId: orderB, n: 0 } }]);
      const { rows: seqs } = await db.pool.query("SELECT id, sequence::int AS s FROM outbox WHERE id = ANY($1::uuid[])", [[highId]]);
      expect(seqs[0].s).toBeGreaterThan(0);
      // The committed later row (another order) goes out while the older transaction is open:
      // the relay keeps no high-water mark, so the lower sequence is not skipped either.
      await waitFor(
        async () => (await db.pool.query("SELECT 1 FROM outbox WHERE id = $1 AND published_at IS NOT NULL", [highId])).rowCount === 1,
        15_000,
        "the later row published while the earlier one's transaction is open",
      );
      await slow.query("COMMIT");
      const records = await readTopic(kafka, topic, (r) => r.length >= 2, 30_000);
      expect(records.map((r) => r.headers.ce_id)).toEqual([highId, lowId]);
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 10_000, "both published");
    } finally {
      slow.release();
      await relay.stop();
    }
  });
});
