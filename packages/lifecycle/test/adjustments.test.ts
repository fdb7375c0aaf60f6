import { withTransaction } from "@orders/db";
import { type AdjustmentCommand, type LifecycleEvent, parseMoney, uuidv7 } from "@orders/domain";
import { placeOrder as place, recordingJobQueue, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { type ApplyOptions, applyEvents, type IncomingEvent } from "../src/index.ts";

/*
 * The one writer applies partial cancellations, returns, receipts, refund settlements and restocks
 * (issue 13) in the same transaction as everything else: line counters, ledger rows, return rows,
 * timeline, outbox and refund jobs — and the lifecycle's own steps keep the ledger in step.
 */

const db = useFreshDatabase("adjustments");

/** Jobs the writer inserted, as pg-boss would receive them. */
const { jobs, queue: recorder } = recordingJobQueue();
const options: ApplyOptions = { consumer: "test", source: "/order-service/test", decision: { maxPaymentAttempts: 2 }, jobs: recorder };
const apply = (events: IncomingEvent[]) => withTransaction(db.pool, (c) => applyEvents(c, events, options));
const ev = (orderId: string, event: LifecycleEvent, messageId = uuidv7()): IncomingEvent => ({ orderId, event, messageId });
const adjust = (orderId: string, command: AdjustmentCommand, messageId: string = command.id): IncomingEvent => ({
  orderId,
  messageId,
  event: { type: "Adjust", command },
});

/** a: 3 × 10.00, b: 2 × 2.50 — total 35.00. */
const paidOrder = async () => {
  const id = await place(db.pool, {
    items: [
      { productId: "a", quantity: 3, unitPrice: parseMoney("10.00") },
      { productId: "b", quantity: 2, unitPrice: parseMoney("2.50") },
    ],
  });
  await apply([ev(id, { type: "InventoryReserved" }), ev(id, { type: "PaymentSuccess" })]);
  return id;
};

const q = async (text: string, values: unknown[]) => (await db.pool.query(text, values)).rows;
const lines = (id: string) =>
  q(
    `SELECT product_id, cancelled_qty, shipped_qty, delivered_qty, return_requested_qty, received_qty, damaged_qty, restocked_qty
       FROM order_items WHERE order_id = $1 ORDER BY product_id`,
    [id],
  );
const ledger = (id: string) => q("SELECT kind, amount::text, refund_id FROM order_ledger WHERE order_id = $1 ORDER BY id", [id]);
const outbox = async (id: string) =>
  (await q("SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY created_at, id", [id])) as {
    type: string;
    payload: Record<string, unknown>;
  }[];
const order = async (id: string) => (await q("SELECT status, payment_status, version FROM orders WHERE id = $1", [id]))[0];

describe("the one writer with line quantities and the money ledger", () => {
  it("records the capture, then a partial cancel: counters, refund request, events, refund job, one version step", async () => {
    const id = await paidOrder();
    expect(await ledger(id)).toEqual([{ kind: "CAPTURE", amount: "35.00", refund_id: null }]);
    jobs.length = 0;
    const out = await apply([
      adjust(id, { type: "CancelLines", id: `c1-${id}`, lines: [{ productId: "a", quantity: 2 }], reason: "changed mind" }),
    ]);
    expect(out).toEqual([
      {
        kind: "applied",
        emitted: null,
        followUps: [{ type: "RefundPayment", refundId: `refund:c1-${id}`, amount: "20.00" }],
        adjustments: ["OrderLinesCancelled", "RefundRequested"],
      },
    ]);
    expect(await order(id)).toMatchObject({ status: "CONFIRMED", payment_status: "SUCCEEDED", version: 4 });
    expect((await lines(id))[0]).toMatchObject({ product_id: "a", cancelled_qty: 2 });
    expect(await ledger(id)).toEqual([
      { kind: "CAPTURE", amount: "35.00", refund_id: null },
      { kind: "REFUND_REQUESTED", amount: "20.00", refund_id: `refund:c1-${id}` },
    ]);
    expect(jobs).toEqual([
      { queue: "payment-refund", data: { orderId: id, causedBy: `c1-${id}`, refundId: `refund:c1-${id}`, amount: "20.00" } },
    ]);
    const events = await outbox(id);
    expect(events.map((e) => e.type)).toEqual([
      "OrderCreated",
      "OrderStatusChanged",
      "OrderConfirmed",
      "OrderStatusChanged",
      "OrderLinesCancelled",
      "RefundRequested",
      "OrderStatusChanged",
    ]);
    expect(events[4]?.payload).toMatchObject({ lines: [{ productId: "a", quantity: 2 }], amount: "20.00", currency: "INR" });

    // The same request again (same id): a duplicate, nothing changes.
    expect(
      await apply([adjust(id, { type: "CancelLines", id: `c1-${id}`, lines: [{ productId: "a", quantity: 2 }], reason: "changed mind" })]),
    ).toEqual([{ kind: "duplicate" }]);
    // Cancelling every remaining unit cancels the order: OrderCancelled (no OrderLinesCancelled), the remainder refunded.
    jobs.length = 0;
    const all = await apply([
      adjust(id, {
        type: "CancelLines",
        id: `c2-${id}`,
        lines: [
          { productId: "a", quantity: 1 },
          { productId: "b", quantity: 2 },
        ],
        reason: "user",
      }),
    ]);
    expect(all).toMatchObject([{ kind: "applied", emitted: "OrderCancelled", adjustments: ["RefundRequested"] }]);
    expect(await order(id)).toMatchObject({ status: "CANCELLED", version: 5 });
    expect(jobs[0]?.data).toMatchObject({ refundId: `refund:${id}`, amount: "15.00" });
    expect((await outbox(id)).at(-3)).toMatchObject({ type: "OrderCancelled", payload: { refund: true } });
    // The whole-remainder refund settles through the lifecycle's PaymentRefunded.
    await apply([ev(id, { type: "PaymentRefunded" })]);
    expect(await order(id)).toMatchObject({ payment_status: "REFUNDED" });
    expect((await ledger(id)).at(-1)).toEqual({ kind: "REFUND_SETTLED", amount: "15.00", refund_id: `refund:${id}` });
  });

  it("refuses a partial cancel it must not apply, recording the skip", async () => {
    const id = await place(db.pool, { items: [{ productId: "a", quantity: 3, unitPrice: parseMoney("10.00") }] });
    const out = await apply([adjust(id, { type: "CancelLines", id: `p-${id}`, lines: [{ productId: "a", quantity: 1 }], reason: "x" })]);
    expect(out).toMatchObject([{ kind: "skipped", reason: "NOT_CONFIRMED" }]);
    expect(await order(id)).toMatchObject({ status: "PENDING", version: 1 });
  });

  it("the whole-order cancel of a paid order is 'cancel every remaining unit' with the ledger's refund", async () => {
    const id = await paidOrder();
    jobs.length = 0;
    const out = await apply([ev(id, { type: "CancelRequested", reason: "user" })]);
    expect(out).toEqual([
      { kind: "applied", emitted: "OrderCancelled", followUps: [{ type: "RefundPayment", refundId: `refund:${id}`, amount: "35.00" }] },
    ]);
    expect((await lines(id)).map((l) => l.cancelled_qty)).toEqual([3, 2]);
  });

  it("delivery, a return, a receipt with damaged units, the restock and the refund settlement", async () => {
    const id = await paidOrder();
    await apply([ev(id, { type: "OrderShipped" }), ev(id, { type: "OrderDelivered" })]);
    expect((await lines(id)).map((l) => l.delivered_qty)).toEqual([3, 2]);
    const returnId = uuidv7();
    const req = await apply([
      adjust(id, {
        type: "RequestReturn",
        id: `rq-${returnId}`,
        returnId,
        lines: [
          { productId: "a", quantity: 2 },
          { productId: "b", quantity: 1 },
        ],
        reason: "wrong size",
        at: new Date().toISOString(),
      }),
    ]);
    expect(req).toMatchObject([{ kind: "applied", adjustments: ["ReturnRequested"] }]);
    jobs.length = 0;
    const receiptId = `rc-${uuidv7()}`;
    await apply([
      adjust(id, {
        type: "RecordReceipt",
        id: receiptId,
        returnId,
        lines: [
          { productId: "a", received: 1, damaged: 1 },
          { productId: "b", received: 1, damaged: 0 },
        ],
      }),
    ]);
    expect(await lines(id)).toMatchObject([
      { product_id: "a", return_requested_qty: 2, received_qty: 1, damaged_qty: 1, restocked_qty: 0 },
      { product_id: "b", return_requested_qty: 1, received_qty: 1, damaged_qty: 0 },
    ]);
    expect(jobs[0]?.data).toMatchObject({ refundId: `refund:${receiptId}`, amount: "12.50" });
    const received = (await outbox(id)).find((e) => e.type === "ReturnReceived");
    expect(received?.payload).toMatchObject({
      returnId,
      restockId: `restock:${receiptId}`,
      restock: [
        { productId: "a", quantity: 1 },
        { productId: "b", quantity: 1 },
      ],
    });
    expect(
      await q("SELECT product_id, requested, received, damaged FROM order_return_lines WHERE return_id = $1 ORDER BY product_id", [
        returnId,
      ]),
    ).toEqual([
      { product_id: "a", requested: 2, received: 1, damaged: 1 },
      { product_id: "b", requested: 1, received: 1, damaged: 0 },
    ]);

    const restock = adjust(
      id,
      {
        type: "StockRestocked",
        id: `restock:${receiptId}`,
        restockId: `restock:${receiptId}`,
        lines: [
          { productId: "a", quantity: 1 },
          { productId: "b", quantity: 1 },
        ],
      },
      `inv:restock:${receiptId}`,
    );
    const settle = adjust(id, {
      type: "RefundSettled",
      id: `pay:refund:${receiptId}`,
      refundId: `refund:${receiptId}`,
      amount: parseMoney("12.50"),
    });
    // Delivered twice each (the second of each a duplicate by message id).
    expect((await apply([restock, settle, restock, settle])).map((o) => o.kind)).toEqual(["applied", "applied", "duplicate", "duplicate"]);
    // A restock redelivered under another message id still counts once (the restock id is the cause).
    expect(await apply([{ ...restock, messageId: `other-${receiptId}` }])).toMatchObject([{ kind: "skipped", reason: "ALREADY_APPLIED" }]);
    expect((await lines(id)).map((l) => l.restocked_qty)).toEqual([1, 1]);
    expect(await ledger(id)).toEqual([
      { kind: "CAPTURE", amount: "35.00", refund_id: null },
      { kind: "REFUND_REQUESTED", amount: "12.50", refund_id: `refund:${receiptId}` },
      { kind: "REFUND_SETTLED", amount: "12.50", refund_id: `refund:${receiptId}` },
    ]);
    expect(await order(id)).toMatchObject({ status: "DELIVERED", payment_status: "SUCCEEDED" });
  });
});
