import { uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./database.ts";

/* Migration 0080 backs the domain's invariants: a bug in a writer cannot store them broken. */

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("ledger_constraints");
});
afterAll(() => db.drop());

async function orderWithLine(quantity = 3): Promise<string> {
  const id = uuidv7();
  await db.pool.query(
    `INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method) VALUES ($1, 'u-1', '30.00', 'INR', 'x', 'card')`,
    [id],
  );
  await db.pool.query(`INSERT INTO order_items (id, order_id, product_id, quantity, price) VALUES ($1, $2, 'a', $3, '10.00')`, [
    uuidv7(),
    id,
    quantity,
  ]);
  return id;
}
const code = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: { code?: string; constraint?: string }) => `${e.code}:${e.constraint}`,
  );
const setLine = (id: string, set: string) => code(db.pool.query(`UPDATE order_items SET ${set} WHERE order_id = $1`, [id]));
const ledger = (id: string, kind: string, amount: string, refundId: string | null) =>
  code(
    db.pool.query(`INSERT INTO order_ledger (order_id, kind, amount, reason, cause, refund_id) VALUES ($1, $2, $3, 'r', 'c', $4)`, [
      id,
      kind,
      amount,
      refundId,
    ]),
  );

describe("line buckets and the ledger (migration 0080)", () => {
  it("refuses a line whose units would be in no bucket or two", async () => {
    const id = await orderWithLine();
    expect(await setLine(id, "cancelled_qty = 2, shipped_qty = 1, delivered_qty = 1")).toBeNull();
    expect(await setLine(id, "cancelled_qty = 3")).toBe("23514:order_items_buckets_non_negative");
    expect(await setLine(id, "return_requested_qty = 2")).toBe("23514:order_items_buckets_non_negative");
    expect(await setLine(id, "return_requested_qty = 1, received_qty = 1, restocked_qty = 2")).toBe(
      "23514:order_items_buckets_non_negative",
    );
  });

  it("keeps one capture per order and one request and one settlement per refund id, with positive amounts", async () => {
    const id = await orderWithLine();
    expect(await ledger(id, "CAPTURE", "30.00", null)).toBeNull();
    expect(await ledger(id, "CAPTURE", "30.00", null)).toBe("23505:order_ledger_one_capture");
    expect(await ledger(id, "REFUND_REQUESTED", "10.00", "refund:x")).toBeNull();
    expect(await ledger(id, "REFUND_REQUESTED", "10.00", "refund:x")).toBe("23505:order_ledger_one_per_refund");
    expect(await ledger(id, "REFUND_SETTLED", "10.00", "refund:x")).toBeNull();
    expect(await ledger(id, "REFUND_SETTLED", "10.00", "refund:x")).toBe("23505:order_ledger_one_per_refund");
    expect(await ledger(id, "REFUND_REQUESTED", "0.00", "refund:y")).toBe("23514:order_ledger_amount_positive");
    expect(await ledger(id, "REFUND_REQUESTED", "1.00", null)).toBe("23514:order_ledger_refund_id_present");
  });
});
