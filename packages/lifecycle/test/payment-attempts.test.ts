import { withTransaction } from "@orders/db";
import { type LifecycleEvent, parseMoney, uuidv7 } from "@orders/domain";
import { createLogger } from "@orders/runtime";
import { placeOrder as place, recordingJobQueue, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import {
  type ApplyOptions,
  applyEvents,
  type PaymentClient,
  QUEUES,
  reconcilePayments,
  sweepPaymentActionExpiry,
  sweepPendingDeadline,
} from "../src/index.ts";

/* Issue 14 through the one writer on a real database: attempts, the action-required window, second captures. */

const db = useFreshDatabase("payment-attempts");
const recorder = recordingJobQueue();
const WINDOW_MS = 60_000;

const options = (now?: Date): ApplyOptions => ({
  consumer: "attempts-test",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 2, paymentActionWindowMs: WINDOW_MS, maxCustomerAttempts: 2 },
  jobs: recorder.queue,
  ...(now ? { now: () => now } : {}),
});

const placeOrder = (paymentMethod: "card" | "cod" = "card", createdAt = new Date()) =>
  place(db.pool, { items: [{ productId: "abc", quantity: 2, unitPrice: parseMoney("15.00") }], paymentMethod, createdAt });

const apply = (orderId: string, event: LifecycleEvent, now?: Date, messageId = uuidv7()) =>
  withTransaction(db.pool, (c) => applyEvents(c, [{ orderId, messageId, event }], options(now))).then((o) => o[0]);

const order = async (id: string) =>
  (
    await db.pool.query(
      `SELECT status, payment_status AS "paymentStatus", inventory_status AS "inventoryStatus", payment_action_deadline AS deadline
         FROM orders WHERE id = $1`,
      [id],
    )
  ).rows[0];
const attempts = async (id: string) =>
  (
    await db.pool.query(
      `SELECT attempt, method, idempotency_key AS key, status, origin, amount::text AS amount, failure_reason AS reason, retryable
         FROM payment_attempts WHERE order_id = $1 ORDER BY attempt`,
      [id],
    )
  ).rows;
const outboxTypes = async (id: string) =>
  (await db.pool.query("SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [id])).rows.filter(
    (r: { type: string }) => r.type !== "OrderStatusChanged",
  );
const ledger = async (id: string) =>
  (
    await db.pool.query(
      'SELECT kind, amount::text AS amount, cause, refund_id AS "refundId" FROM order_ledger WHERE order_id = $1 ORDER BY id',
      [id],
    )
  ).rows;

describe("payment attempts through the one writer (issue 14)", () => {
  it("a final decline keeps the order PENDING with ACTION_REQUIRED, a deadline and PaymentActionRequired; a retry starts attempt 2 with its method and key", async () => {
    const id = await placeOrder();
    const t0 = new Date();
    await apply(id, { type: "InventoryReserved" }, t0);
    expect(await attempts(id)).toMatchObject([
      { attempt: 1, method: "card", key: `${id}:1`, status: "STARTED", origin: "initial", amount: "30.00" },
    ]);
    await apply(id, { type: "PaymentFailed", attempt: 1, reason: "card declined", retryable: false }, t0);
    expect(await order(id)).toMatchObject({ status: "PENDING", paymentStatus: "ACTION_REQUIRED", inventoryStatus: "RESERVED" });
    expect((await order(id)).deadline.getTime()).toBe(t0.getTime() + WINDOW_MS);
    expect(await attempts(id)).toMatchObject([{ attempt: 1, status: "FAILED", reason: "card declined", retryable: false }]);
    const required = (await outboxTypes(id)).find((r: { type: string }) => r.type === "PaymentActionRequired");
    expect(required?.payload).toMatchObject({ orderId: id, attempt: 1, method: "card", reason: "card declined", amount: "30.00" });
    expect(required?.payload.deadline).toBe(new Date(t0.getTime() + WINDOW_MS).toISOString());

    recorder.jobs.length = 0;
    expect(await apply(id, { type: "PaymentRetryRequested", method: "upi" })).toMatchObject({
      kind: "applied",
      emitted: "PaymentAttemptStarted",
    });
    expect(recorder.jobs).toMatchObject([{ queue: QUEUES.initiatePayment, data: { orderId: id, attempt: 2, method: "upi" } }]);
    expect(await attempts(id)).toMatchObject([
      { attempt: 1, status: "FAILED" },
      { attempt: 2, method: "upi", key: `${id}:2`, status: "STARTED", origin: "customer" },
    ]);
    expect(await apply(id, { type: "PaymentRetryRequested", method: "upi" })).toMatchObject({
      kind: "skipped",
      reason: "NO_ACTION_REQUIRED",
    });
    await apply(id, { type: "PaymentSuccess", attempt: 2 });
    expect(await order(id)).toMatchObject({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" });
    expect((await attempts(id))[1]).toMatchObject({ status: "SUCCEEDED" });
    expect(await ledger(id)).toMatchObject([{ kind: "CAPTURE", amount: "30.00" }]);
  });

  it("the expiry sweep cancels with payment-failed once the window closed; the PENDING deadline leaves such orders alone", async () => {
    const created = new Date(Date.now() - 10 * 60_000);
    const id = await placeOrder("card", created);
    await apply(id, { type: "InventoryReserved" }, created);
    await apply(id, { type: "PaymentFailed", attempt: 1, reason: "card declined", retryable: false }, created);
    const deadlineSweep = await sweepPendingDeadline(db.pool, { deadlineMs: 60_000, apply: options() });
    expect(deadlineSweep.cancelled).toBe(0);
    expect(await order(id)).toMatchObject({ status: "PENDING", paymentStatus: "ACTION_REQUIRED" });
    // Before the deadline: nothing; after it: cancelled, once.
    expect(await sweepPaymentActionExpiry(db.pool, { apply: options(), now: () => new Date(created.getTime() + WINDOW_MS - 1) })).toEqual({
      cancelled: 0,
    });
    expect(await sweepPaymentActionExpiry(db.pool, { apply: options() })).toEqual({ cancelled: 1 });
    expect(await sweepPaymentActionExpiry(db.pool, { apply: options() })).toEqual({ cancelled: 0 });
    expect(await order(id)).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
    expect(await outboxTypes(id)).toMatchObject([
      { type: "OrderCreated" },
      { type: "PaymentActionRequired" },
      { type: "OrderCancelled", payload: { reason: "payment-failed", refund: false } },
    ]);
  });

  it("a customer's attempt restarts the PENDING deadline", async () => {
    const created = new Date(Date.now() - 10 * 60_000);
    const id = await placeOrder("card", created);
    await apply(id, { type: "InventoryReserved" }, created);
    await apply(id, { type: "PaymentFailed", attempt: 1, reason: "card declined", retryable: false }, created);
    await apply(id, { type: "PaymentRetryRequested", method: "wallet" });
    await sweepPendingDeadline(db.pool, { deadlineMs: 60_000, apply: options() });
    expect(await order(id)).toMatchObject({ status: "PENDING", paymentStatus: "PENDING" });
  });

  it("a second capture is recorded in the ledger and refunded automatically under its own refund id", async () => {
    const id = await placeOrder();
    await apply(id, { type: "InventoryReserved" });
    await apply(id, { type: "PaymentFailed", attempt: 1, reason: "gateway timeout", retryable: true });
    await apply(id, { type: "PaymentSuccess", attempt: 2 });
    recorder.jobs.length = 0;
    const late = await apply(id, { type: "PaymentSuccess", attempt: 1 });
    expect(late).toMatchObject({
      kind: "applied",
      followUps: [{ type: "RefundPayment", refundId: `refund:${id}:attempt:1`, amount: "30.00" }],
    });
    expect(recorder.jobs).toMatchObject([
      { queue: QUEUES.refundPayment, data: { orderId: id, refundId: `refund:${id}:attempt:1`, amount: "30.00" } },
    ]);
    expect(await order(id)).toMatchObject({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" });
    expect(await attempts(id)).toMatchObject([
      { attempt: 1, status: "REFUNDED" },
      { attempt: 2, status: "SUCCEEDED" },
    ]);
    expect(await ledger(id)).toMatchObject([
      { kind: "CAPTURE", amount: "30.00" },
      { kind: "CAPTURE", amount: "30.00", cause: "attempt:1:capture" },
      { kind: "REFUND_REQUESTED", amount: "30.00", refundId: `refund:${id}:attempt:1` },
    ]);
    // The same late success again under another message id changes nothing.
    expect(await apply(id, { type: "PaymentSuccess", attempt: 1 })).toMatchObject({ kind: "skipped", reason: "ALREADY_APPLIED" });
    expect(await ledger(id)).toHaveLength(3);
  });

  it("cash on delivery: confirmed without a charge; the capture is started on delivery", async () => {
    const id = await placeOrder("cod");
    recorder.jobs.length = 0;
    expect(await apply(id, { type: "InventoryReserved" })).toMatchObject({ kind: "applied", emitted: "OrderConfirmed", followUps: [] });
    await apply(id, { type: "OrderShipped" });
    await apply(id, { type: "OrderDelivered" });
    expect(recorder.jobs).toMatchObject([{ queue: QUEUES.collectPayment, data: { orderId: id, attempt: 1 } }]);
    expect(await order(id)).toMatchObject({ status: "DELIVERED", paymentStatus: "PENDING" });
    await apply(id, { type: "PaymentSuccess", attempt: 1 });
    expect(await order(id)).toMatchObject({ status: "DELIVERED", paymentStatus: "SUCCEEDED" });
    expect(await attempts(id)).toMatchObject([{ attempt: 1, method: "cod", status: "SUCCEEDED" }]);
    expect(await ledger(id)).toMatchObject([{ kind: "CAPTURE", amount: "30.00" }]);
  });

  it("reconciliation records a cash-on-delivery capture whose answer was lost", async () => {
    const id = await placeOrder("cod");
    const past = new Date(Date.now() - 10 * 60_000);
    await apply(id, { type: "InventoryReserved" }, past);
    await apply(id, { type: "OrderDelivered" }, past);
    await db.pool.query("UPDATE orders SET updated_at = $2 WHERE id = $1", [id, past]);
    const payments: PaymentClient = {
      charge: async () => ({ paymentId: "p" }),
      refund: async () => ({ refundId: "r" }),
      lookup: async (orderId) => (orderId === id ? { attempts: [1], captured: true, refunded: false } : null),
    };
    const report = await reconcilePayments(
      { pool: db.pool, payments, logger: createLogger({ service: "attempts-test", level: "silent" }), apply: options() },
      { minAgeMs: 60_000, pendingBoundMs: 60_000, lookbackMs: 3_600_000 },
    );
    expect(report.findings.find((f) => f.orderId === id)).toMatchObject({ mismatch: "CAPTURE_NOT_RECORDED", result: "repaired" });
    expect(await order(id)).toMatchObject({ status: "DELIVERED", paymentStatus: "SUCCEEDED" });
    expect(await attempts(id)).toMatchObject([{ attempt: 1, method: "cod", status: "SUCCEEDED" }]);
  });

  it("cash on delivery refused at the door: cancelled, nothing charged, the parcel restocked through the returns flow", async () => {
    const id = await placeOrder("cod");
    await apply(id, { type: "InventoryReserved" });
    await apply(id, { type: "OrderShipped" });
    recorder.jobs.length = 0;
    expect(await apply(id, { type: "DeliveryRefused", reason: "refused at the door" })).toMatchObject({ kind: "applied", followUps: [] });
    expect(recorder.jobs).toEqual([]);
    expect(await order(id)).toMatchObject({ status: "CANCELLED", paymentStatus: "NOT_STARTED", inventoryStatus: "RELEASED" });
    const events = await outboxTypes(id);
    expect(events.map((r: { type: string }) => r.type)).toEqual(["OrderCreated", "OrderConfirmed", "ReturnRequested", "ReturnReceived"]);
    const received = events[3]?.payload;
    expect(received).toMatchObject({
      restock: [{ productId: "abc", quantity: 2 }],
      lines: [{ productId: "abc", received: 2, damaged: 0 }],
    });
    expect(received.restockId).toMatch(/^restock:/);
    const lines = (
      await db.pool.query(
        `SELECT quantity, shipped_qty AS shipped, delivered_qty AS delivered, return_requested_qty AS requested, received_qty AS received
           FROM order_items WHERE order_id = $1`,
        [id],
      )
    ).rows;
    expect(lines).toEqual([{ quantity: 2, shipped: 2, delivered: 2, requested: 2, received: 2 }]);
    expect(await ledger(id)).toEqual([]);
    // The same refusal again (a redelivery under another id) changes nothing.
    expect(await apply(id, { type: "DeliveryRefused", reason: "refused at the door" })).toMatchObject({
      kind: "skipped",
      reason: "ALREADY_APPLIED",
    });
  });

  it("a refused prepaid parcel is not cancelled by the refusal (a return for a human)", async () => {
    const id = await placeOrder("card");
    await apply(id, { type: "InventoryReserved" });
    await apply(id, { type: "PaymentSuccess", attempt: 1 });
    await apply(id, { type: "OrderShipped" });
    expect(await apply(id, { type: "DeliveryRefused", reason: "refused" })).toMatchObject({
      kind: "skipped",
      reason: "ILLEGAL_TRANSITION",
    });
    expect(await order(id)).toMatchObject({ status: "SHIPPED" });
  });
});
