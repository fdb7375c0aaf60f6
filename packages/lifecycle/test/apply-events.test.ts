import { getOrderDetail, withTransaction } from "@orders/db";
import { type LifecycleEvent, OrderStatusChangedSchema, parseMoney, uuidv7 } from "@orders/domain";
import { placeOrder as place, recordingJobQueue, useFreshDatabase } from "@orders/testkit";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { type ApplyOptions, applyEvents, type IncomingEvent } from "../src/index.ts";

const db = useFreshDatabase("apply_events");

/** Jobs the writer inserted, as pg-boss would receive them. */
const { jobs, queue: recorder } = recordingJobQueue();
const options: ApplyOptions = {
  consumer: "test-consumer",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 2 },
  jobs: recorder,
};

const placeOrder = () => place(db.pool, { items: [{ productId: "abc", quantity: 2, unitPrice: parseMoney("10.00") }] });

const apply = (events: IncomingEvent[], opts: ApplyOptions = options) => withTransaction(db.pool, (c) => applyEvents(c, events, opts));
const ev = (orderId: string, event: LifecycleEvent, messageId = uuidv7()): IncomingEvent => ({ orderId, event, messageId });
const outboxTypes = async (orderId: string) =>
  (await db.pool.query("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [orderId])).rows.map((r) => r.type);

describe("applyEvents", () => {
  it("walks the happy path, writing state, version, timeline and OrderConfirmed in the same transaction", async () => {
    const id = await placeOrder();
    jobs.length = 0;
    expect(await apply([ev(id, { type: "InventoryReserved" })])).toEqual([
      { kind: "applied", emitted: null, followUps: [{ type: "InitiatePayment", attempt: 1 }] },
    ]);
    expect(jobs).toEqual([{ queue: "payment-initiate", data: { orderId: id, attempt: 1, causedBy: expect.any(String) } }]);
    await apply([ev(id, { type: "PaymentSuccess" }), ev(id, { type: "OrderShipped" }), ev(id, { type: "OrderDelivered" })]);
    const detail = await getOrderDetail(db.pool, id);
    expect(detail).toMatchObject({
      status: "DELIVERED",
      inventoryStatus: "RESERVED",
      paymentStatus: "SUCCEEDED",
      deliveryStatus: "DELIVERED",
      version: 5,
    });
    expect(detail?.timeline.map((t) => t.status)).toEqual(["PENDING", "PENDING", "CONFIRMED", "SHIPPED", "DELIVERED"]);
    // Every applied step is on the topic (issue 15): OrderStatusChanged with the order's state and
    // version after it, beside the step's own event (OrderConfirmed); shipment and delivery publish only it.
    expect(await outboxTypes(id)).toEqual([
      "OrderCreated",
      "OrderStatusChanged",
      "OrderConfirmed",
      "OrderStatusChanged",
      "OrderStatusChanged",
      "OrderStatusChanged",
    ]);
    const changes = await db.pool.query(
      "SELECT payload, ce_sequence FROM outbox WHERE aggregateid = $1 AND type = 'OrderStatusChanged' ORDER BY sequence",
      [id],
    );
    expect(changes.rows.map((r) => r.payload)).toMatchObject([
      {
        orderId: id,
        userId: "u-1",
        cause: "InventoryReserved",
        previousStatus: "PENDING",
        status: "PENDING",
        paymentStatus: "PENDING",
        version: 2,
      },
      { cause: "PaymentSuccess", previousStatus: "PENDING", status: "CONFIRMED", paymentStatus: "SUCCEEDED", version: 3 },
      { cause: "OrderShipped", previousStatus: "CONFIRMED", status: "SHIPPED", deliveryStatus: "SHIPPED", reason: "shipped", version: 4 },
      {
        cause: "OrderDelivered",
        previousStatus: "SHIPPED",
        status: "DELIVERED",
        deliveryStatus: "DELIVERED",
        reason: "delivered",
        version: 5,
      },
    ]);
    for (const r of changes.rows) expect(v.safeParse(OrderStatusChangedSchema, r.payload).issues).toBeUndefined();
    expect(changes.rows.map((r) => r.ce_sequence)).toEqual(["0000000002", "0000000004", "0000000005", "0000000006"]);
    const { rows } = await db.pool.query("SELECT payload FROM outbox WHERE aggregateid = $1 AND type = 'OrderConfirmed'", [id]);
    expect(rows[0].payload).toMatchObject({ orderId: id, userId: "u-1", totalAmount: "20.00", currency: "INR" });
  });

  it("skips a redelivered message id, within one batch and across batches", async () => {
    const id = await placeOrder();
    const m = ev(id, { type: "InventoryReserved" }, `dup-${id}`);
    expect((await apply([m, m])).map((o) => o.kind)).toEqual(["applied", "duplicate"]);
    expect((await apply([m])).map((o) => o.kind)).toEqual(["duplicate"]);
    expect(await getOrderDetail(db.pool, id)).toMatchObject({ version: 2, paymentStatus: "PENDING" });
  });

  it("records an illegal transition in the timeline and skips it", async () => {
    const id = await placeOrder();
    const out = await apply([ev(id, { type: "OrderShipped" }, `ship-${id}`)]);
    expect(out).toMatchObject([{ kind: "skipped", reason: "ILLEGAL_TRANSITION" }]);
    const detail = await getOrderDetail(db.pool, id);
    expect(detail).toMatchObject({ status: "PENDING", version: 1 });
    expect(detail?.timeline.at(-1)).toMatchObject({ status: "PENDING", causedBy: `ship-${id}` });
    expect(detail?.timeline.at(-1)?.reason).toContain("ILLEGAL_TRANSITION");
  });

  it("neither claims nor applies an event for an unknown order", async () => {
    const ghost = uuidv7();
    const m = ev(ghost, { type: "InventoryReserved" }, `ghost-${ghost}`);
    expect(await apply([m])).toEqual([{ kind: "unknown_order" }]);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM processed_messages WHERE message_id = $1", [m.messageId]);
    expect(rows[0].n).toBe(0);
  });

  it("cancels after the last retryable payment failure and emits one OrderCancelled", async () => {
    const id = await placeOrder();
    jobs.length = 0;
    await apply([ev(id, { type: "InventoryReserved" })]);
    await apply([ev(id, { type: "PaymentFailed", reason: "gateway", retryable: true, attempt: 1 })]);
    await apply([ev(id, { type: "PaymentFailed", reason: "gateway", retryable: true, attempt: 2 })]);
    expect(jobs.map((j) => [j.queue, j.data.attempt])).toEqual([
      ["payment-initiate", 1],
      ["payment-initiate", 2],
    ]);
    expect(await getOrderDetail(db.pool, id)).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED", inventoryStatus: "RESERVED" });
    expect(await outboxTypes(id)).toEqual([
      "OrderCreated",
      "OrderStatusChanged",
      "OrderStatusChanged",
      "OrderCancelled",
      "OrderStatusChanged",
    ]);
  });

  it("publishes nothing for a skipped event (only applied steps are on the topic)", async () => {
    const id = await placeOrder();
    await apply([ev(id, { type: "OrderShipped" })]);
    expect(await outboxTypes(id)).toEqual(["OrderCreated"]);
  });

  it("rolls the claim back with the rest when the transaction fails (the redelivery applies)", async () => {
    const id = await placeOrder();
    const m = ev(id, { type: "InventoryReserved" }, `rollback-${id}`);
    const failing: ApplyOptions = {
      ...options,
      jobs: {
        insert: async () => {
          throw new Error("job store down");
        },
      },
    };
    await expect(apply([m], failing)).rejects.toThrow("job store down");
    expect(await getOrderDetail(db.pool, id)).toMatchObject({ inventoryStatus: "PENDING", version: 1 });
    expect((await apply([m])).map((o) => o.kind)).toEqual(["applied"]);
  });

  it("applies many orders' events in one batch and keeps each order's events in order", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => placeOrder()));
    const batch = ids.flatMap((id) => [ev(id, { type: "InventoryReserved" }), ev(id, { type: "PaymentSuccess" })]);
    const out = await apply(batch);
    expect(out.every((o) => o.kind === "applied")).toBe(true);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) AND status = 'CONFIRMED'", [
      ids,
    ]);
    expect(rows[0].n).toBe(20);
  });

  it("two concurrent transactions on the same message apply it once", async () => {
    const id = await placeOrder();
    const m = ev(id, { type: "InventoryReserved" }, `race-${id}`);
    const results = await Promise.all([apply([m]), apply([m])]);
    expect(
      results
        .flat()
        .map((o) => o.kind)
        .sort(),
    ).toEqual(["applied", "duplicate"]);
    expect(await getOrderDetail(db.pool, id)).toMatchObject({ version: 2 });
  });
});
