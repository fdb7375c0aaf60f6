import { randomUUID } from "node:crypto";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { useDatabaseWithSessions } from "./database.ts";

/*
 * The relay's ordering rule (docs/relay.md "Ordering"): one order's outbox rows commit in
 * sequence order because every writer takes the sequence under the order's row lock. Migration
 * 0040 makes the database enforce that for writers that forget the lock.
 */

const fixture = useDatabaseWithSessions("outbox_order_lock", 4);

const newOrder = async () => {
  const id = randomUUID();
  await fixture.db.pool.query(
    "INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method) VALUES ($1, 'u', 1, 'EUR', 'a', 'card')",
    [id],
  );
  return id;
};

const insertRows = (client: pg.PoolClient | pg.Pool, aggregateId: string, count = 1) =>
  client.query<{ sequence: string }>(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
     SELECT gen_random_uuid(), 'Order', $1, 'OrderConfirmed', jsonb_build_object('n', n), '/test', '2026-01-01T00:00:00Z'
       FROM generate_series(1, $2::int) AS n ORDER BY n
     RETURNING sequence::text, (payload->>'n')::int AS n`,
    [aggregateId, count],
  );

describe("outbox sequence under the order's row lock", () => {
  it("makes a writer that inserts without locking the order wait for the order's writer in progress and take a later sequence", async () => {
    const order = await newOrder();
    const holder = await fixture.sessions.connect();
    const careless = await fixture.sessions.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", [order]);
      // Inserts before the holder does: its identity default is the lower value, but it must
      // not commit a lower sequence after the holder's row.
      await careless.query("BEGIN");
      const { rows: pidRows } = await careless.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const carelessInsert = insertRows(careless, order);
      await expect
        .poll(
          async () =>
            (await fixture.db.pool.query("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", [pidRows[0]?.pid])).rows[0]
              ?.wait_event_type,
          { timeout: 10_000 },
        )
        .toBe("Lock");
      const held = await insertRows(holder, order);
      await holder.query("COMMIT");
      const late = await carelessInsert;
      await careless.query("COMMIT");
      expect(BigInt(late.rows[0]?.sequence ?? "0")).toBeGreaterThan(BigInt(held.rows[0]?.sequence ?? "0"));
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await careless.query("ROLLBACK").catch(() => {});
      holder.release();
      careless.release();
    }
  });

  it("keeps the statement's row order within one insert, and leaves rows of aggregates that are not orders alone", async () => {
    const order = await newOrder();
    const { rows } = await insertRows(fixture.db.pool, order, 5);
    const bySequence = [...rows].sort((a, b) => (BigInt(a.sequence) < BigInt(b.sequence) ? -1 : 1));
    expect(bySequence.map((r) => (r as unknown as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
    // No orders row (tests, benchmarks, a non-UUID id): the identity default stands, nothing waits.
    await expect(insertRows(fixture.db.pool, randomUUID(), 2)).resolves.toHaveProperty("rowCount", 2);
    await expect(insertRows(fixture.db.pool, "not-a-uuid", 1)).resolves.toHaveProperty("rowCount", 1);
  });
});
