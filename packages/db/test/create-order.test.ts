import { randomUUID } from "node:crypto";
import { type NewOrder, parseMoney, uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claimIdempotencyKey,
  createOrder,
  getOrderDetail,
  insertNewOrder,
  insertNewOrderCompletingKey,
  listOrders,
  newOrderDetail,
  withTransaction,
} from "../src/index.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("create_order");
});
afterAll(() => db.drop());

const newOrder = (patch: Partial<NewOrder> = {}): NewOrder => ({
  id: uuidv7(),
  userId: "123",
  items: [
    { productId: "abc", quantity: 2, unitPrice: parseMoney("19.99") },
    { productId: "xyz", quantity: 1, unitPrice: parseMoney("0.10") },
  ],
  currency: "INR",
  shippingAddress: "Bhubaneswar",
  paymentMethod: "card",
  createdAt: new Date(),
  ...patch,
});
const ctx = { source: "/order-service/test", causedBy: "test" };

const counts = async (orderId: string) => {
  const { rows } = await db.pool.query(
    `SELECT (SELECT count(*) FROM orders WHERE id = $1)::int AS orders,
            (SELECT count(*) FROM order_items WHERE order_id = $1)::int AS items,
            (SELECT count(*) FROM outbox WHERE aggregateid = $1::text)::int AS outbox,
            (SELECT count(*) FROM order_status_history WHERE order_id = $1)::int AS history`,
    [orderId],
  );
  return rows[0];
};

describe("createOrder", () => {
  it("writes order, items, timeline and OrderCreated outbox row together", async () => {
    const order = newOrder({ traceparent: undefined } as Partial<NewOrder>);
    const { eventId } = await createOrder(db.pool, order, {
      ...ctx,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    expect(await counts(order.id)).toEqual({ orders: 1, items: 2, outbox: 1, history: 1 });

    const detail = await getOrderDetail(db.pool, order.id);
    expect(detail).toMatchObject({
      id: order.id,
      status: "PENDING",
      inventoryStatus: "PENDING",
      paymentStatus: "NOT_STARTED",
      deliveryStatus: "NOT_STARTED",
      totalAmount: "40.08",
      version: 1,
    });
    expect(detail?.items).toEqual([
      { productId: "abc", quantity: 2, unitPrice: "19.99", lineTotal: "39.98" },
      { productId: "xyz", quantity: 1, unitPrice: "0.10", lineTotal: "0.10" },
    ]);
    expect(detail?.timeline).toHaveLength(1);

    const { rows } = await db.pool.query(
      "SELECT id, type, aggregatetype, payload, traceparent, ce_time FROM outbox WHERE aggregateid = $1",
      [order.id],
    );
    expect(rows[0]).toMatchObject({ id: eventId, type: "OrderCreated", aggregatetype: "Order", ce_time: order.createdAt.toISOString() });
    expect(rows[0].traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(rows[0].payload).toMatchObject({
      orderId: order.id,
      totalAmount: "40.08",
      items: [{ productId: "abc", unitPrice: "19.99" }, { productId: "xyz" }],
    });
  });

  it("leaves nothing behind when the transaction fails after the order insert", async () => {
    const order = newOrder();
    await expect(
      withTransaction(db.pool, async (client) => {
        await insertNewOrder(client, order, ctx);
        throw new Error("crash after the writes, before COMMIT");
      }),
    ).rejects.toThrow(/crash after/);
    expect(await counts(order.id)).toEqual({ orders: 0, items: 0, outbox: 0, history: 0 });
  });

  it("leaves nothing behind when a later statement of the same transaction is rejected", async () => {
    // Duplicate productIds violate order_items_distinct_product after the orders row is written.
    const order = newOrder({
      items: [
        { productId: "dup", quantity: 1, unitPrice: parseMoney("1.00") },
        { productId: "dup", quantity: 2, unitPrice: parseMoney("1.00") },
      ],
    });
    await expect(createOrder(db.pool, order, ctx)).rejects.toMatchObject({ code: "23505", constraint: "order_items_distinct_product" });
    expect(await counts(order.id)).toEqual({ orders: 0, items: 0, outbox: 0, history: 0 });
  });

  it("stores large amounts and many items exactly", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ productId: `p-${i}`, quantity: 1000, unitPrice: parseMoney("99999.99") }));
    const order = newOrder({ items });
    await createOrder(db.pool, order, ctx);
    const detail = await getOrderDetail(db.pool, order.id);
    expect(detail?.totalAmount).toBe("9999999000.00");
    expect(detail?.items).toHaveLength(100);
  });
});

describe("insertNewOrderCompletingKey", () => {
  const claim = async (userId: string) => {
    const scope = { userId, key: randomUUID(), leaseToken: randomUUID() };
    const outcome = await claimIdempotencyKey(db.pool, { ...scope, fingerprint: "f", leaseMs: 30_000, ttlMs: 86_400_000 });
    expect(outcome.claimed).toBe(true);
    return scope;
  };
  const keyRow = async (userId: string, key: string) =>
    (
      await db.pool.query("SELECT state, response_body, order_id, lease_token FROM idempotency_keys WHERE user_id = $1 AND key = $2", [
        userId,
        key,
      ])
    ).rows[0];
  const response = { status: 201, headers: { Location: "/x" }, body: '{"ok":true}' };

  it("writes the order's rows and completes the key in one statement", async () => {
    const order = newOrder();
    const scope = await claim(order.userId);
    const { eventId, created } = await insertNewOrderCompletingKey(db.pool, order, ctx, { ...scope, ...response });
    expect(created).toBe(true);
    expect(await counts(order.id)).toEqual({ orders: 1, items: 2, outbox: 1, history: 1 });
    expect(await keyRow(order.userId, scope.key)).toEqual({
      state: "COMPLETED",
      response_body: '{"ok":true}',
      order_id: order.id,
      lease_token: null,
    });
    const { rows } = await db.pool.query("SELECT id, type FROM outbox WHERE aggregateid = $1", [order.id]);
    expect(rows).toEqual([{ id: eventId, type: "OrderCreated" }]);
  });

  it("writes nothing when the lease is no longer ours", async () => {
    const order = newOrder();
    const scope = await claim(order.userId);
    const { created } = await insertNewOrderCompletingKey(db.pool, order, ctx, { ...scope, leaseToken: randomUUID(), ...response });
    expect(created).toBe(false);
    expect(await counts(order.id)).toEqual({ orders: 0, items: 0, outbox: 0, history: 0 });
    expect(await keyRow(order.userId, scope.key)).toMatchObject({ state: "IN_FLIGHT", lease_token: scope.leaseToken, order_id: null });
  });

  it("leaves the key IN_FLIGHT and writes nothing when a row is rejected", async () => {
    const order = newOrder({
      items: [
        { productId: "dup", quantity: 1, unitPrice: parseMoney("1.00") },
        { productId: "dup", quantity: 2, unitPrice: parseMoney("1.00") },
      ],
    });
    const scope = await claim(order.userId);
    await expect(insertNewOrderCompletingKey(db.pool, order, ctx, { ...scope, ...response })).rejects.toMatchObject({ code: "23505" });
    expect(await counts(order.id)).toEqual({ orders: 0, items: 0, outbox: 0, history: 0 });
    expect(await keyRow(order.userId, scope.key)).toMatchObject({ state: "IN_FLIGHT", lease_token: scope.leaseToken });
  });

  it("newOrderDetail is exactly what getOrderDetail reads back", async () => {
    // Items out of order, upper case before lower case byte-wise, whole and fractional amounts.
    const order = newOrder({
      items: [
        { productId: "sku-2", quantity: 3, unitPrice: parseMoney("7.05") },
        { productId: "Zeta", quantity: 1, unitPrice: parseMoney("1299") },
        { productId: "abc", quantity: 1000, unitPrice: parseMoney("0.1") },
        { productId: "a.b", quantity: 2, unitPrice: parseMoney("49.99") },
      ],
      createdAt: new Date(Date.now() - 1234),
    });
    const scope = await claim(order.userId);
    await insertNewOrderCompletingKey(db.pool, order, { ...ctx, causedBy: "request:r1" }, { ...scope, ...response });
    const detail = await getOrderDetail(db.pool, order.id);
    expect(detail?.items.map((i) => i.productId)).toEqual(["Zeta", "a.b", "abc", "sku-2"]);
    expect(newOrderDetail(order, "request:r1")).toEqual(detail);
  });
});

describe("listOrders", () => {
  it("pages newest first by keyset with no duplicates or gaps", async () => {
    const userId = "pager";
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) {
      const order = newOrder({ userId });
      ids.push(order.id);
      await createOrder(db.pool, order, ctx);
    }
    const seen: string[] = [];
    let beforeId: string | undefined;
    for (;;) {
      const page = await listOrders(db.pool, { userId, limit: 10, ...(beforeId ? { beforeId } : {}) });
      seen.push(...page.items.map((o) => o.id));
      if (!page.nextBeforeId) break;
      beforeId = page.nextBeforeId;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters by status for admins", async () => {
    const page = await listOrders(db.pool, { status: "CONFIRMED", limit: 100 });
    expect(page.items).toEqual([]);
    const pending = await listOrders(db.pool, { status: "PENDING", limit: 5 });
    expect(pending.items.every((o) => o.status === "PENDING")).toBe(true);
    expect(pending.items).toHaveLength(5);
  });
});
