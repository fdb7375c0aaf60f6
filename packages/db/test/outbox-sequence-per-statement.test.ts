import { randomUUID } from "node:crypto";
import { type NewOrder, parseMoney, uuidv7 } from "@orders/domain";
import { describe, expect, it } from "vitest";
import { createOrder, type PoolClient, sql } from "../src/index.ts";
import { useDatabaseWithSessions } from "./database.ts";

/*
 * The lifecycle's multi-row outbox insert numbers its rows per order in one statement (migration
 * 0130): one UPDATE of each order's counter per statement instead of one per row from the
 * trigger, with the same numbers 0075's trigger gave.
 */

const fixture = useDatabaseWithSessions("outbox_sequence_per_statement", 4);

const newOrder = (): NewOrder => ({
  id: uuidv7(),
  userId: "u1",
  items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("9.99") }],
  currency: "EUR",
  shippingAddress: "Bhubaneswar",
  paymentMethod: "card",
  createdAt: new Date(),
});

const row = (aggregateId: string, n: number): sql.OutboxEventRow => ({
  id: uuidv7(),
  aggregateType: "order",
  aggregateId,
  type: "OrderStatusChanged",
  payload: { orderId: aggregateId, n },
  source: "/test",
  time: new Date().toISOString(),
});

const single = (aggregateId: string, n: number) => sql.insertOutboxEvent(row(aggregateId, n));

const run = (c: PoolClient | typeof fixture.db.pool, q: sql.Query) => c.query(q.text, q.values as unknown[]);

type Numbered = { aggregateid: string; aggregate_sequence: string | null; ce_sequence: string | null; n: number };
const rowsOf = async (ids: readonly string[]) =>
  (
    await fixture.db.pool.query<Numbered>(
      `SELECT aggregateid, aggregate_sequence::text, ce_sequence, (payload->>'n')::int AS n
         FROM outbox WHERE aggregateid = ANY($1::text[]) ORDER BY sequence`,
      [ids],
    )
  ).rows;

const counter = async (id: string) =>
  (await fixture.db.pool.query("SELECT event_sequence::int AS n FROM orders WHERE id = $1", [id])).rows[0].n as number;

const pad = (n: number) => String(n).padStart(10, "0");

describe("per-order outbox numbers taken per statement (lifecycle.insert_outbox)", () => {
  it("numbers interleaved rows of several orders contiguously after the rows already there, in statement order", async () => {
    const [a, b, c] = [newOrder(), newOrder(), newOrder()];
    for (const o of [a, b, c]) await createOrder(fixture.db.pool, o, { source: "/test", causedBy: "test" });
    await run(fixture.db.pool, single(a.id, 1)); // a: 1 (create) + 1
    const notAnOrder = randomUUID();
    await run(
      fixture.db.pool,
      sql.insertOutboxRows([
        row(a.id, 10),
        row(b.id, 11),
        row(a.id, 12),
        row(notAnOrder, 13),
        row(c.id, 14),
        row("not-a-uuid", 15),
        row(a.id, 16),
        row(b.id, 17),
      ]),
    );
    await run(fixture.db.pool, single(b.id, 2)); // a single-row writer continues after the statement's numbers

    const rows = await rowsOf([a.id, b.id, c.id, notAnOrder, "not-a-uuid"]);
    const numbersOf = (id: string) => rows.filter((r) => r.aggregateid === id).map((r) => [r.n, r.aggregate_sequence, r.ce_sequence]);
    expect(numbersOf(a.id)).toEqual([
      [null, "1", pad(1)],
      [1, "2", pad(2)],
      [10, "3", pad(3)],
      [12, "4", pad(4)],
      [16, "5", pad(5)],
    ]);
    expect(numbersOf(b.id)).toEqual([
      [null, "1", pad(1)],
      [11, "2", pad(2)],
      [17, "3", pad(3)],
      [2, "4", pad(4)],
    ]);
    expect(numbersOf(c.id)).toEqual([
      [null, "1", pad(1)],
      [14, "2", pad(2)],
    ]);
    expect(numbersOf(notAnOrder)).toEqual([[13, null, null]]);
    expect(numbersOf("not-a-uuid")).toEqual([[15, null, null]]);
    // The statement's rows took `sequence` in the given order.
    expect(rows.filter((r) => r.n >= 10).map((r) => r.n)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    expect([await counter(a.id), await counter(b.id), await counter(c.id)]).toEqual([5, 4, 2]);
  });

  it("updates each order's row once per statement, not once per outbox row", async () => {
    const [a, b] = [newOrder(), newOrder()];
    for (const o of [a, b]) await createOrder(fixture.db.pool, o, { source: "/test", causedBy: "test" });
    const client = await fixture.sessions.connect();
    try {
      await client.query("BEGIN");
      const updated = async () => Number((await client.query("SELECT pg_stat_get_xact_tuples_updated('orders'::regclass) AS n")).rows[0].n);
      const before = await updated();
      await run(client, sql.insertOutboxRows([row(a.id, 1), row(a.id, 2), row(b.id, 3), row(a.id, 4), row(b.id, 5), row(a.id, 6)]));
      expect((await updated()) - before).toBe(2);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    expect((await rowsOf([a.id])).map((r) => r.aggregate_sequence)).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("gives a rolled-back statement's numbers to the next writer", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    const client = await fixture.sessions.connect();
    try {
      await client.query("BEGIN");
      await run(client, sql.insertOutboxRows([row(order.id, 1), row(order.id, 2)]));
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    await run(fixture.db.pool, sql.insertOutboxRows([row(order.id, 3)]));
    await run(fixture.db.pool, single(order.id, 4));
    expect((await rowsOf([order.id])).map((r) => [r.n, r.ce_sequence])).toEqual([
      [null, pad(1)],
      [3, pad(2)],
      [4, pad(3)],
    ]);
  });

  it("makes a second writer of the same order wait for the first and continue after its numbers", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    const first = await fixture.sessions.connect();
    const second = await fixture.sessions.connect();
    try {
      await first.query("BEGIN");
      await run(first, sql.insertOutboxRows([row(order.id, 1), row(order.id, 2)]));
      await second.query("BEGIN");
      const waiting = run(second, sql.insertOutboxRows([row(order.id, 3)])).then(() => second.query("COMMIT"));
      await new Promise((r) => setTimeout(r, 200));
      await first.query("COMMIT");
      await waiting;
    } finally {
      first.release();
      second.release();
    }
    expect((await rowsOf([order.id])).map((r) => [r.n, r.aggregate_sequence])).toEqual([
      [null, "1"],
      [1, "2"],
      [2, "3"],
      [3, "4"],
    ]);
  });

  it("ignores a number a plain INSERT supplies above the order's counter", async () => {
    const order = newOrder();
    await createOrder(fixture.db.pool, order, { source: "/test", causedBy: "test" });
    await fixture.db.pool.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, aggregate_sequence, ce_sequence)
       VALUES ($1, 'order', $2, 'OrderConfirmed', '{"n": 1}', '/t', 't', 9, '0000000009')`,
      [uuidv7(), order.id],
    );
    expect((await rowsOf([order.id])).map((r) => [r.aggregate_sequence, r.ce_sequence])).toEqual([
      ["1", pad(1)],
      ["2", pad(2)],
    ]);
  });

  it("takes the numbers in the chunk's state UPDATE: one new version of each order row for its state and its counter", async () => {
    const [a, b, c] = [newOrder(), newOrder(), newOrder()];
    for (const o of [a, b, c]) await createOrder(fixture.db.pool, o, { source: "/test", causedBy: "test" });
    const state = (id: string, expectedVersion: number) => ({
      id,
      status: "CONFIRMED",
      inventoryStatus: "RESERVED",
      paymentStatus: "SUCCEEDED",
      deliveryStatus: "NOT_STARTED",
      expectedVersion,
      newVersion: expectedVersion + 1,
    });
    const notAnOrder = `not-an-order-${uuidv7()}`;
    const client = await fixture.sessions.connect();
    let result: { updated: number; inserted: number };
    let orderUpdates = 0;
    try {
      await client.query("BEGIN");
      const updated = async () => Number((await client.query("SELECT pg_stat_get_xact_tuples_updated('orders'::regclass) AS n")).rows[0].n);
      const before = await updated();
      // a and b change state; c is not in the UPDATE (its rows are numbered by the trigger), and
      // b's expected version is stale (not updated: its row is numbered by the trigger too).
      const q = sql.updateOrderStatesWithOutbox(
        [state(a.id, 1), state(b.id, 7)],
        [row(a.id, 1), row(c.id, 2), row(a.id, 3), row(b.id, 4), row(notAnOrder, 5), row(a.id, 6)],
      );
      result = (await client.query(q.text, q.values as unknown[])).rows[0];
      orderUpdates = (await updated()) - before;
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    expect(result).toEqual({ updated: 1, inserted: 6 });
    // a: one UPDATE for state and counter; b and c: one trigger UPDATE each for their one row.
    expect(orderUpdates).toBe(3);
    const rows = await rowsOf([a.id, b.id, c.id, notAnOrder]);
    const numbersOf = (id: string) => rows.filter((r) => r.aggregateid === id && r.n !== null).map((r) => [r.n, r.ce_sequence]);
    expect(numbersOf(a.id)).toEqual([
      [1, pad(2)],
      [3, pad(3)],
      [6, pad(4)],
    ]);
    expect(numbersOf(b.id)).toEqual([[4, pad(2)]]);
    expect(numbersOf(c.id)).toEqual([[2, pad(2)]]);
    expect(numbersOf(notAnOrder)).toEqual([[5, null]]);
    expect(rows.filter((r) => r.n !== null).map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6]);
    const { rows: heads } = await fixture.db.pool.query(
      "SELECT id, status, version, event_sequence::int AS n FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id",
      [[a.id, b.id, c.id]],
    );
    expect(heads).toEqual([
      { id: a.id, status: "CONFIRMED", version: 2, n: 4 },
      { id: b.id, status: "PENDING", version: 1, n: 2 },
      { id: c.id, status: "PENDING", version: 1, n: 2 },
    ]);
  });
});
