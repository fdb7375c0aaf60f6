import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DELIVERY_STATUSES,
  decide,
  INITIAL_ORDER_STATE,
  INVENTORY_STATUSES,
  type LifecycleEvent,
  ORDER_STATUSES,
  type OrderState,
  PAYMENT_STATUSES,
  transition,
} from "../src/index.ts";

const ctx = { maxPaymentAttempts: 3 };
const state = (patch: Partial<OrderState>): OrderState => ({ ...INITIAL_ORDER_STATE, ...patch });
const reserved = state({ inventoryStatus: "RESERVED", paymentStatus: "PENDING" });
const confirmed = state({ status: "CONFIRMED", inventoryStatus: "RESERVED", paymentStatus: "SUCCEEDED" });
const cancelled = state({ status: "CANCELLED" });

const E = {
  reserved: { type: "InventoryReserved" },
  invFailure: { type: "InventoryFailure", reason: "out of stock" },
  released: { type: "InventoryReleased" },
  paid: { type: "PaymentSuccess" },
  payFailedRetryable: (attempt: number) => ({ type: "PaymentFailed", reason: "gateway timeout", retryable: true, attempt }),
  payFailedFinal: { type: "PaymentFailed", reason: "card declined", retryable: false, attempt: 1 },
  refunded: { type: "PaymentRefunded" },
  shipped: { type: "OrderShipped" },
  delivered: { type: "OrderDelivered" },
  cancel: { type: "CancelRequested", reason: "user" },
  timeout: { type: "PendingTimeout" },
  abandoned: { type: "PaymentAbandoned", attempt: 2 },
} as const satisfies Record<string, LifecycleEvent | ((n: number) => LifecycleEvent)>;

describe("decide: the happy path", () => {
  it("walks PENDING → CONFIRMED → SHIPPED → DELIVERED with the right events and jobs", () => {
    const r1 = decide(INITIAL_ORDER_STATE, E.reserved, ctx);
    expect(r1).toMatchObject({ kind: "apply", emit: null, followUps: [{ type: "InitiatePayment", attempt: 1 }] });
    if (r1.kind !== "apply") throw new Error();
    expect(r1.next).toEqual(reserved);
    const r2 = decide(r1.next, E.paid, ctx);
    expect(r2).toMatchObject({ kind: "apply", next: confirmed, emit: { type: "OrderConfirmed" } });
    if (r2.kind !== "apply") throw new Error();
    const r3 = decide(r2.next, E.shipped, ctx);
    expect(r3).toMatchObject({ kind: "apply", next: { status: "SHIPPED", deliveryStatus: "SHIPPED" } });
    if (r3.kind !== "apply") throw new Error();
    expect(decide(r3.next, E.delivered, ctx)).toMatchObject({ kind: "apply", next: { status: "DELIVERED", deliveryStatus: "DELIVERED" } });
  });
});

describe("decide: the awkward deliveries (docs/lifecycle.md)", () => {
  const rows: [string, OrderState, LifecycleEvent, Record<string, unknown>][] = [
    ["duplicate InventoryReserved is skipped", reserved, E.reserved, { kind: "skip", reason: "ALREADY_APPLIED" }],
    [
      "PaymentSuccess before InventoryReserved waits in PENDING",
      INITIAL_ORDER_STATE,
      E.paid,
      { kind: "apply", next: state({ paymentStatus: "SUCCEEDED" }), emit: null },
    ],
    [
      "InventoryReserved after an early PaymentSuccess confirms without a second payment",
      state({ paymentStatus: "SUCCEEDED" }),
      E.reserved,
      { kind: "apply", next: confirmed, emit: { type: "OrderConfirmed" }, followUps: [] },
    ],
    [
      "late InventoryReserved on a cancelled order records the hold (release follows OrderCancelled)",
      cancelled,
      E.reserved,
      { kind: "apply", next: state({ status: "CANCELLED", inventoryStatus: "RESERVED" }), emit: null, followUps: [] },
    ],
    [
      "InventoryFailure cancels",
      INITIAL_ORDER_STATE,
      E.invFailure,
      {
        kind: "apply",
        next: state({ status: "CANCELLED", inventoryStatus: "FAILED" }),
        emit: { type: "OrderCancelled", reason: "inventory-failure" },
      },
    ],
    [
      "InventoryFailure after an early payment cancels and refunds",
      state({ paymentStatus: "SUCCEEDED" }),
      E.invFailure,
      { kind: "apply", emit: { type: "OrderCancelled" }, followUps: [{ type: "RefundPayment" }] },
    ],
    [
      "retryable PaymentFailed below the limit retries with the next attempt",
      reserved,
      E.payFailedRetryable(1),
      { kind: "apply", next: reserved, emit: null, followUps: [{ type: "InitiatePayment", attempt: 2 }] },
    ],
    [
      "retryable PaymentFailed at the limit is final: cancel",
      reserved,
      E.payFailedRetryable(3),
      {
        kind: "apply",
        next: state({ status: "CANCELLED", inventoryStatus: "RESERVED", paymentStatus: "FAILED" }),
        emit: { type: "OrderCancelled", reason: "payment-failed" },
      },
    ],
    ["final PaymentFailed after a retryable one cancels", reserved, E.payFailedFinal, { kind: "apply", emit: { type: "OrderCancelled" } }],
    ["PaymentFailed after success is stale", confirmed, E.payFailedFinal, { kind: "skip", reason: "STALE_RESULT" }],
    [
      "PaymentSuccess on a cancelled order refunds",
      state({ status: "CANCELLED", inventoryStatus: "RESERVED", paymentStatus: "PENDING" }),
      E.paid,
      { kind: "apply", emit: null, followUps: [{ type: "RefundPayment" }], next: { paymentStatus: "SUCCEEDED", status: "CANCELLED" } },
    ],
    [
      "user cancel of a paid order refunds",
      confirmed,
      E.cancel,
      {
        kind: "apply",
        next: { status: "CANCELLED" },
        emit: { type: "OrderCancelled", reason: "user" },
        followUps: [{ type: "RefundPayment" }],
      },
    ],
    ["cancel of a shipped order is refused", state({ status: "SHIPPED" }), E.cancel, { kind: "skip", reason: "NOT_CANCELLABLE" }],
    ["cancel of a cancelled order is refused", cancelled, E.cancel, { kind: "skip", reason: "NOT_CANCELLABLE" }],
    [
      "timeout cancels a PENDING order",
      reserved,
      E.timeout,
      { kind: "apply", next: { status: "CANCELLED" }, emit: { type: "OrderCancelled", reason: "timeout" } },
    ],
    ["timeout after confirmation does nothing", confirmed, E.timeout, { kind: "skip", reason: "ORDER_FINAL" }],
    ["OrderShipped on a PENDING order is illegal", reserved, E.shipped, { kind: "skip", reason: "ILLEGAL_TRANSITION" }],
    ["OrderShipped on a cancelled order is illegal", cancelled, E.shipped, { kind: "skip", reason: "ILLEGAL_TRANSITION" }],
    [
      "OrderDelivered overtaking OrderShipped delivers",
      confirmed,
      E.delivered,
      { kind: "apply", next: { status: "DELIVERED", deliveryStatus: "DELIVERED" } },
    ],
    [
      "OrderShipped after delivery is a duplicate",
      state({ status: "DELIVERED", deliveryStatus: "DELIVERED" }),
      E.shipped,
      { kind: "skip", reason: "ALREADY_APPLIED" },
    ],
    [
      "InventoryReleased after cancellation marks the stock released",
      state({ status: "CANCELLED", inventoryStatus: "RESERVED" }),
      E.released,
      { kind: "apply", next: { inventoryStatus: "RELEASED" } },
    ],
    [
      "InventoryReleased after an inventory failure is stale",
      state({ status: "CANCELLED", inventoryStatus: "FAILED" }),
      E.released,
      { kind: "skip", reason: "STALE_RESULT" },
    ],
    [
      "InventoryReleased overtaking its InventoryReserved on a cancelled order marks RELEASED",
      cancelled,
      E.released,
      { kind: "apply", next: { status: "CANCELLED", inventoryStatus: "RELEASED" }, emit: null },
    ],
    [
      "a late InventoryReserved after the release that overtook it is skipped (no phantom hold)",
      state({ status: "CANCELLED", inventoryStatus: "RELEASED" }),
      E.reserved,
      { kind: "skip", reason: "ALREADY_APPLIED" },
    ],
    [
      "InventoryReleased on a live PENDING order is illegal",
      INITIAL_ORDER_STATE,
      E.released,
      { kind: "skip", reason: "ILLEGAL_TRANSITION" },
    ],
    [
      "PaymentRefunded overtaking its PaymentSuccess on a cancelled order marks REFUNDED",
      state({ status: "CANCELLED", inventoryStatus: "RESERVED", paymentStatus: "PENDING" }),
      E.refunded,
      { kind: "apply", next: { paymentStatus: "REFUNDED" }, followUps: [] },
    ],
    [
      "a late PaymentSuccess after the refund that overtook it starts no second refund",
      state({ status: "CANCELLED", paymentStatus: "REFUNDED" }),
      E.paid,
      { kind: "skip", reason: "ALREADY_APPLIED" },
    ],
    [
      "PaymentRefunded after a payment closed as failed records the refund (the capture happened)",
      state({ status: "CANCELLED", paymentStatus: "FAILED" }),
      E.refunded,
      { kind: "apply", next: { paymentStatus: "REFUNDED" }, followUps: [] },
    ],
    [
      "PaymentSuccess after the payment was abandoned on a cancelled order refunds it (issue 10)",
      state({ status: "CANCELLED", inventoryStatus: "RESERVED", paymentStatus: "FAILED" }),
      E.paid,
      { kind: "apply", next: { paymentStatus: "SUCCEEDED" }, emit: null, followUps: [{ type: "RefundPayment" }] },
    ],
    [
      "PaymentRefunded after cancellation marks REFUNDED",
      state({ status: "CANCELLED", paymentStatus: "SUCCEEDED" }),
      E.refunded,
      { kind: "apply", next: { paymentStatus: "REFUNDED" } },
    ],
    ["PaymentRefunded on a live order is illegal", confirmed, E.refunded, { kind: "skip", reason: "ILLEGAL_TRANSITION" }],
    [
      "PaymentAbandoned on a cancelled order waiting for its charge fails the payment, with nothing to publish",
      state({ status: "CANCELLED", inventoryStatus: "RESERVED", paymentStatus: "PENDING" }),
      E.abandoned,
      {
        kind: "apply",
        next: state({ status: "CANCELLED", inventoryStatus: "RESERVED", paymentStatus: "FAILED" }),
        note: "payment not attempted: order cancelled",
        emit: null,
        followUps: [],
      },
    ],
    [
      "PaymentAbandoned after a result arrived keeps the result",
      state({ status: "CANCELLED", paymentStatus: "SUCCEEDED" }),
      E.abandoned,
      { kind: "skip", reason: "STALE_RESULT" },
    ],
    ["PaymentAbandoned twice is a no-op", state({ status: "CANCELLED", paymentStatus: "FAILED" }), E.abandoned, { kind: "skip" }],
    ["PaymentAbandoned on a live order is illegal", reserved, E.abandoned, { kind: "skip", reason: "ILLEGAL_TRANSITION" }],
  ];
  it.each(rows)("%s", (_name, from, event, expected) => {
    expect(decide(from, event, ctx)).toMatchObject(expected);
  });
});

const anyState = fc.record({
  status: fc.constantFrom(...ORDER_STATUSES),
  inventoryStatus: fc.constantFrom(...INVENTORY_STATUSES),
  paymentStatus: fc.constantFrom(...PAYMENT_STATUSES),
  deliveryStatus: fc.constantFrom(...DELIVERY_STATUSES),
});
const anyEvent: fc.Arbitrary<LifecycleEvent> = fc.oneof(
  fc.constantFrom<LifecycleEvent>(
    E.reserved,
    E.invFailure,
    E.released,
    E.paid,
    E.payFailedFinal,
    E.refunded,
    E.shipped,
    E.delivered,
    E.cancel,
    E.timeout,
    E.abandoned,
  ),
  fc.integer({ min: 1, max: 5 }).map(E.payFailedRetryable),
);

describe("decide: properties", () => {
  it("never throws and every applied change follows the transition tables", () => {
    fc.assert(
      fc.property(anyState, anyEvent, (from, event) => {
        const decision = decide(from, event, ctx);
        if (decision.kind === "skip") return;
        for (const field of ["status", "inventoryStatus", "paymentStatus", "deliveryStatus"] as const) {
          if (decision.next[field] === from[field]) continue;
          // Delivered-before-shipped jumps two order steps; each step is legal.
          const direct = transition(field, from[field], decision.next[field]).ok;
          const viaShipped =
            field === "status" &&
            transition("status", from.status, "SHIPPED").ok &&
            transition("status", "SHIPPED", decision.next.status).ok;
          expect(direct || viaShipped).toBe(true);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("applying the same event twice changes nothing the second time", () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 12 }), anyEvent, (prefix, event) => {
        let s: OrderState = INITIAL_ORDER_STATE;
        for (const e of prefix) {
          const d = decide(s, e, ctx);
          if (d.kind === "apply") s = d.next;
        }
        const first = decide(s, event, ctx);
        if (first.kind !== "apply" || event.type === "PaymentFailed") return; // a retry attempt is a new fact
        const second = decide(first.next, event, ctx);
        expect(second.kind === "skip" || (second.kind === "apply" && second.emit === null && second.next === first.next)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it("emits OrderConfirmed at most once and never after OrderCancelled along any event sequence", () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 20 }), (events) => {
        let s: OrderState = INITIAL_ORDER_STATE;
        const emitted: string[] = [];
        for (const e of events) {
          const d = decide(s, e, ctx);
          if (d.kind === "apply") {
            s = d.next;
            if (d.emit) emitted.push(d.emit.type);
          }
        }
        expect(emitted.filter((t) => t === "OrderConfirmed").length).toBeLessThanOrEqual(1);
        expect(emitted.filter((t) => t === "OrderCancelled").length).toBeLessThanOrEqual(1);
        const cancelledAt = emitted.indexOf("OrderCancelled");
        if (cancelledAt >= 0) expect(emitted.slice(cancelledAt)).not.toContain("OrderConfirmed");
      }),
      { numRuns: 5_000 },
    );
  });
});
