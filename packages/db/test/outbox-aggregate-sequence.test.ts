import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type NewOrder, parseMoney, uuidv7 } from "@orders/domain";
import { describe, expect, it } from "vitest";
import { createOrder, sql, withTransaction } from "../src/index.ts";
import { useDatabaseWithSessions } from "./database.ts";

/*
 * The per-order sequence (migration 0075, docs/relay.md "Per-order sequence"): every outbox row
 * of an order gets 1..n for that order, contiguous, whatever commits, waits or rolls back.
 */

const fixture = useDatabaseWithSessions("outbox_aggregate_sequence", 8);

const newOrder = (): NewOrder => ({
  id: uuidv7(),
  userId: "u1",
  items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("9.99") }],
  currency: "EUR",
  shippingAddress: "Bhubaneswar",
  paymentMethod: "card",
  createdAt: new Date(),
});

const event = (aggregateId: string, type = "OrderConfirmed", n = 0) =>
  sql.insertOutboxEvent({
    id: uuidv7(),
    aggregateType: "order",
    aggregateId,
    type,
    payload: { orderId: aggregateId, n },
    source: "/test",
    time: new Date().toISOString(),
  });

type Numbered = { sequence: string; aggregate_sequence: string | null; ce_sequence: string | null; n: number };
const rowsOf = async (aggregateId: string) =>
  (
    await fixture.db.pool.query<Numbered>(
      `SELECT sequence::text, aggregate_sequence::text, ce_sequence, (payload->>'n')::int AS n
         FROM outbox WHERE aggregateid = $1 ORDER BY outbox.sequence`,
      [aggregateId],
    )
  ).rows;

const pad = (n: number) => String(n).padStart(10, "0");

describe("per-order outbox sequence", () => {
  it("numbers an order's events 1..n from the create statement on, zero-padded to 10 digits, in sequence order", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    for (let i = 1; i <= 3; i++) {
      const q = event(order.id, "OrderConfirmed", i);
      await fixture.db.pool.query(q.text, q.values as unknown[]);
    }
    const rows = await rowsOf(order.id);
    expect(rows.map((r) => r.aggregate_sequence)).toEqual(["1", "2", "3", "4"]);
    expect(rows.map((r) => r.ce_sequence)).toEqual([pad(1), pad(2), pad(3), pad(4)]);
    const { rows: counter } = await fixture.db.pool.query("SELECT event_sequence::int AS n FROM orders WHERE id = $1", [order.id]);
    expect(counter[0].n).toBe(4);
  });

  it("stays 1..n without gaps under concurrent writers of one order when some of their transactions roll back", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    // 24 transactions race (8 connections), each writing 1–3 rows; every third rolls back after
    // its rows took numbers — the numbers must be reused, not skipped.
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, async (_, t) => {
        const client = await fixture.sessions.connect();
        try {
          await client.query("BEGIN");
          for (let r = 0; r < 1 + (t % 3); r++) {
            const q = event(order.id, "OrderConfirmed", t * 10 + r);
            await client.query(q.text, q.values as unknown[]);
          }
          await new Promise((resolve) => setTimeout(resolve, t % 4));
          const commit = t % 3 !== 1;
          await client.query(commit ? "COMMIT" : "ROLLBACK");
          return commit ? 1 + (t % 3) : 0;
        } finally {
          client.release();
        }
      }),
    );
    const committed = 1 + outcomes.reduce((a, b) => a + b, 0);
    const rows = await rowsOf(order.id);
    expect(rows).toHaveLength(committed);
    // In global `sequence` order (what the relay publishes in) the per-order numbers are 1..n.
    expect(rows.map((r) => Number(r.aggregate_sequence))).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
    expect(rows.map((r) => r.ce_sequence)).toEqual(rows.map((_, i) => pad(i + 1)));
    // A transaction's rows are contiguous (it held the order lock from its first row to commit).
    const byTx = new Map<number, number[]>();
    for (const r of rows.slice(1)) {
      const tx = Math.floor(r.n / 10);
      byTx.set(tx, [...(byTx.get(tx) ?? []), Number(r.aggregate_sequence)]);
    }
    for (const seqs of byTx.values()) expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    // Another order's counter is untouched by all of this.
    const other = newOrder();
    await createOrder(fixture.db.pool, other, { source: "/test", causedBy: "test" });
    expect((await rowsOf(other.id)).map((r) => r.ce_sequence)).toEqual([pad(1)]);
  });

  it("ignores numbers a writer supplies, and leaves rows of aggregates that are not orders unnumbered", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    await fixture.db.pool.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, aggregate_sequence, ce_sequence)
       VALUES ($1, 'order', $2, 'OrderConfirmed', '{}', '/t', 't', 7, '0000000007'),
              ($3, 'order', $4, 'OrderConfirmed', '{}', '/t', 't', 7, '0000000007')`,
      [uuidv7(), order.id, uuidv7(), randomUUID()],
    );
    expect((await rowsOf(order.id)).map((r) => r.ce_sequence)).toEqual([pad(1), pad(2)]);
    const { rows } = await fixture.db.pool.query(
      "SELECT aggregate_sequence, ce_sequence FROM outbox WHERE aggregateid <> $1 AND ce_source = '/t'",
      [order.id],
    );
    expect(rows).toEqual([{ aggregate_sequence: null, ce_sequence: null }]);
  });

  it("refuses the event after 9 999 999 999 instead of emitting a value that no longer sorts", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    await fixture.db.pool.query("UPDATE orders SET event_sequence = 9999999998 WHERE id = $1", [order.id]);
    const last = event(order.id);
    await fixture.db.pool.query(last.text, last.values as unknown[]);
    expect((await rowsOf(order.id)).at(-1)?.ce_sequence).toBe("9999999999");
    const over = event(order.id);
    await expect(withTransaction(fixture.db.pool, (c) => c.query(over.text, over.values as unknown[]))).rejects.toMatchObject({
      code: "23514",
      constraint: "orders_event_sequence_range",
    });
  });

  it("numbers the rows already there when the migration runs, and the next event continues from there", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    for (let i = 0; i < 2; i++) {
      const q = event(order.id);
      await fixture.db.pool.query(q.text, q.values as unknown[]);
    }
    // As before 0075: no numbers, counter at 0. Then the migration's backfill statement.
    await fixture.db.pool.query("UPDATE outbox SET aggregate_sequence = NULL, ce_sequence = NULL WHERE aggregateid = $1", [order.id]);
    await fixture.db.pool.query("UPDATE orders SET event_sequence = 0 WHERE id = $1", [order.id]);
    const migration = readFileSync(new URL("../../../migrations/0075_outbox_aggregate_sequence.sql", import.meta.url), "utf8");
    const backfill = migration.slice(migration.indexOf("WITH numbered AS"), migration.indexOf(";", migration.indexOf("WITH numbered AS")));
    await fixture.db.pool.query(backfill);
    const next = event(order.id);
    await fixture.db.pool.query(next.text, next.values as unknown[]);
    expect((await rowsOf(order.id)).map((r) => r.ce_sequence)).toEqual([pad(1), pad(2), pad(3), pad(4)]);
  });
});
