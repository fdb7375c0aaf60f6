import { uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("constraints");
});
afterAll(() => db.drop());

const validOrder = {
  id: "",
  user_id: "u-1",
  status: "PENDING",
  total_amount: "10.00",
  currency: "INR",
  shipping_address: "Bhubaneswar",
  payment_method: "card",
};

async function insertOrder(patch: Record<string, unknown>): Promise<string> {
  const row = { ...validOrder, id: uuidv7(), ...patch };
  const cols = Object.keys(row);
  await db.pool.query(`INSERT INTO orders (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, Object.values(row));
  return row.id as string;
}

describe("schema constraints reject bad rows", () => {
  it("accepts a valid order (so the rejections below are about the bad field)", async () => {
    await expect(insertOrder({})).resolves.toBeTypeOf("string");
  });

  it.each([
    ["status", { status: "SHIPPED_MAYBE" }, "orders_status_valid"],
    ["inventory_status", { inventory_status: "LOST" }, "orders_inventory_status_valid"],
    ["payment_status", { payment_status: "PAID" }, "orders_payment_status_valid"],
    ["delivery_status", { delivery_status: "IN_TRANSIT" }, "orders_delivery_status_valid"],
    ["negative total", { total_amount: "-0.01" }, "orders_total_non_negative"],
    ["user id format", { user_id: "has space" }, "orders_user_id_format"],
    ["user id length", { user_id: "x".repeat(65) }, "orders_user_id_format"],
    ["currency", { currency: "inr" }, "orders_currency_format"],
    ["payment method", { payment_method: "cash" }, "orders_payment_method_valid"],
    ["empty address", { shipping_address: "" }, "orders_shipping_address_length"],
    ["version", { version: 0 }, "orders_version_positive"],
  ])("orders: %s", async (_name, patch, constraint) => {
    await expect(insertOrder(patch)).rejects.toMatchObject({ code: "23514", constraint });
  });

  it("orders: money beyond NUMERIC(14,2) overflows", async () => {
    await expect(insertOrder({ total_amount: "1000000000000.00" })).rejects.toMatchObject({ code: "22003" });
  });

  it.each([
    ["zero quantity", { quantity: 0 }, "order_items_quantity_range"],
    ["negative price", { price: "-1.00" }, "order_items_price_non_negative"],
    ["product id format", { product_id: "a/b" }, "order_items_product_id_format"],
  ])("order_items: %s", async (_name, patch, constraint) => {
    const orderId = await insertOrder({});
    const row = { id: uuidv7(), order_id: orderId, product_id: "abc", quantity: 1, price: "1.00", ...patch };
    await expect(
      db.pool.query("INSERT INTO order_items (id, order_id, product_id, quantity, price) VALUES ($1, $2, $3, $4, $5)", Object.values(row)),
    ).rejects.toMatchObject({ code: "23514", constraint });
  });

  it("order_items: an item needs an existing order", async () => {
    await expect(
      db.pool.query("INSERT INTO order_items (id, order_id, product_id, quantity, price) VALUES ($1, $2, 'abc', 1, '1.00')", [
        uuidv7(),
        uuidv7(),
      ]),
    ).rejects.toMatchObject({ code: "23503" });
  });

  it("outbox: type and traceparent formats", async () => {
    const insert = (type: string, traceparent: string | null) =>
      db.pool.query(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent) VALUES ($1, 'Order', 'x', $2, '{}', 's', 't', $3)",
        [uuidv7(), type, traceparent],
      );
    await expect(insert("orderCreated", null)).rejects.toMatchObject({ constraint: "outbox_type_valid" });
    await expect(insert("OrderCreated", "not-a-traceparent")).rejects.toMatchObject({ constraint: "outbox_traceparent_format" });
    await expect(insert("OrderCreated", null)).resolves.toBeDefined();
  });

  it("idempotency_keys: a completed key must carry its response", async () => {
    await expect(
      db.pool.query(
        "INSERT INTO idempotency_keys (user_id, key, request_fingerprint, state, expires_at) VALUES ('u', 'k', 'f', 'COMPLETED', now() + interval '1 day')",
      ),
    ).rejects.toMatchObject({ constraint: "idempotency_keys_completed_has_response" });
  });

  it("history: status values are checked", async () => {
    const orderId = await insertOrder({});
    await expect(
      db.pool.query("INSERT INTO order_status_history (order_id, status, reason, caused_by) VALUES ($1, 'DONE', 'r', 'c')", [orderId]),
    ).rejects.toMatchObject({ constraint: "order_status_history_status_valid" });
  });
});
