import type { OrderState } from "./statuses.ts";
import { type StatusField, transition } from "./transition-table.ts";

/**
 * What can happen to an order. Kafka results from the inventory, payment and delivery
 * services, plus what comes from this service itself: a cancel request (API), the PENDING
 * deadline (scheduled job) and a payment the PaymentInitiator did not start (job).
 */
export type LifecycleEvent =
  | { readonly type: "InventoryReserved" }
  | { readonly type: "InventoryFailure"; readonly reason: string }
  | { readonly type: "InventoryReleased" }
  | { readonly type: "PaymentSuccess" }
  | { readonly type: "PaymentFailed"; readonly reason: string; readonly retryable: boolean; readonly attempt: number }
  | { readonly type: "PaymentRefunded" }
  | { readonly type: "OrderShipped" }
  | { readonly type: "OrderDelivered" }
  | { readonly type: "CancelRequested"; readonly reason: string }
  | { readonly type: "PendingTimeout" }
  /** The PaymentInitiator found the order cancelled and never sent this attempt's charge. */
  | { readonly type: "PaymentAbandoned"; readonly attempt: number };

export type LifecycleEventType = LifecycleEvent["type"];

/** Work the caller must start in the same transaction (pg-boss jobs). */
export type FollowUp =
  | { readonly type: "InitiatePayment"; readonly attempt: number }
  /**
   * `refundId`/`amount` come from the money ledger (issue 13): the writer fills them in; without
   * them the job refunds the whole capture under `refund:<order id>` (jobs queued before).
   */
  | { readonly type: "RefundPayment"; readonly refundId?: string; readonly amount?: string };

export type ProducedEventType = "OrderConfirmed" | "OrderCancelled";

export type Decision =
  | {
      readonly kind: "apply";
      readonly next: OrderState;
      /** Timeline text: why the order looks the way it does now. */
      readonly note: string;
      readonly emit: { readonly type: ProducedEventType; readonly reason: string } | null;
      readonly followUps: readonly FollowUp[];
    }
  | {
      readonly kind: "skip";
      /** Stable code; the caller records it in the timeline and acknowledges the message. */
      readonly reason: SkipReason;
      readonly note: string;
    };

export type SkipReason = "ALREADY_APPLIED" | "ORDER_FINAL" | "NOT_CANCELLABLE" | "STALE_RESULT" | "ILLEGAL_TRANSITION";

export interface DecisionContext {
  /** Payment attempts allowed in all, the first included. */
  readonly maxPaymentAttempts: number;
}

const skip = (reason: SkipReason, note: string): Decision => ({ kind: "skip", reason, note });

/** A sub-status move the tables refuse; `decide` turns it into an ILLEGAL_TRANSITION skip. */
class TableRefusal extends Error {}

class Draft {
  state: OrderState;
  constructor(state: OrderState) {
    this.state = state;
  }
  /** Moves one field along its table; refuses what the table does not allow. */
  set<F extends StatusField>(field: F, to: OrderState[F]): this {
    if (this.state[field] === to) return this;
    const result = transition(field, this.state[field], to);
    if (!result.ok) throw new TableRefusal(`${field} ${this.state[field]} → ${to} refused (${result.reason})`);
    this.state = { ...this.state, [field]: to };
    return this;
  }
}

function apply(
  draft: Draft,
  note: string,
  emit: { type: ProducedEventType; reason: string } | null = null,
  followUps: readonly FollowUp[] = [],
): Decision {
  return { kind: "apply", next: draft.state, note, emit, followUps };
}

/**
 * The saga's decision table (docs/lifecycle.md). Pure: given the order as stored and one
 * event, returns the new state with the event to publish and jobs to start, or a skip with
 * a reason. Never throws: even a stored state the tables cannot produce (hand-edited row)
 * gives a skip, so a surprising message cannot crash-loop a consumer.
 */
export function decide(order: OrderState, event: LifecycleEvent, ctx: DecisionContext): Decision {
  try {
    return decideUnchecked(order, event, ctx);
  } catch (error) {
    if (error instanceof TableRefusal) return skip("ILLEGAL_TRANSITION", `${event.type}: ${error.message}`);
    throw error;
  }
}

function decideUnchecked(order: OrderState, event: LifecycleEvent, ctx: DecisionContext): Decision {
  const d = new Draft(order);
  switch (event.type) {
    case "InventoryReserved": {
      if (order.inventoryStatus !== "PENDING") return skip("ALREADY_APPLIED", `inventory already ${order.inventoryStatus}`);
      if (order.status === "CANCELLED") {
        // Stock was held for an order cancelled meanwhile. The OrderCancelled already in the
        // outbox reaches the inventory service after its OrderCreated, so it releases this hold.
        return apply(d.set("inventoryStatus", "RESERVED"), "late reservation for a cancelled order; release follows OrderCancelled");
      }
      if (order.status !== "PENDING") return skip("ILLEGAL_TRANSITION", `InventoryReserved in ${order.status}`);
      d.set("inventoryStatus", "RESERVED");
      if (order.paymentStatus === "SUCCEEDED") {
        // The payment result overtook this reservation: both halves are in, confirm now.
        return apply(d.set("status", "CONFIRMED"), "inventory reserved after payment succeeded", {
          type: "OrderConfirmed",
          reason: "paid and reserved",
        });
      }
      if (order.paymentStatus === "FAILED") {
        return apply(d.set("status", "CANCELLED"), "inventory reserved after final payment failure", {
          type: "OrderCancelled",
          reason: "payment-failed",
        });
      }
      return apply(d.set("paymentStatus", "PENDING"), "inventory reserved; payment initiated", null, [
        { type: "InitiatePayment", attempt: 1 },
      ]);
    }

    case "InventoryFailure": {
      if (order.inventoryStatus !== "PENDING") return skip("ALREADY_APPLIED", `inventory already ${order.inventoryStatus}`);
      if (order.status === "CANCELLED") return apply(d.set("inventoryStatus", "FAILED"), "inventory failure after cancellation");
      if (order.status !== "PENDING") return skip("ILLEGAL_TRANSITION", `InventoryFailure in ${order.status}`);
      d.set("inventoryStatus", "FAILED").set("status", "CANCELLED");
      const refund: FollowUp[] = order.paymentStatus === "SUCCEEDED" ? [{ type: "RefundPayment" }] : [];
      return apply(d, `inventory failure: ${event.reason}`, { type: "OrderCancelled", reason: "inventory-failure" }, refund);
    }

    case "InventoryReleased": {
      if (order.inventoryStatus === "RELEASED") return skip("ALREADY_APPLIED", "inventory already released");
      if (order.inventoryStatus === "FAILED") return skip("STALE_RESULT", "nothing reserved (inventory FAILED)");
      if (order.status !== "CANCELLED") return skip("ILLEGAL_TRANSITION", `InventoryReleased in ${order.status}`);
      if (order.inventoryStatus === "PENDING") {
        // The release overtook its reservation; recording RELEASED now makes the late
        // InventoryReserved a no-op instead of leaving a phantom hold behind.
        return apply(d.set("inventoryStatus", "RELEASED"), "stock released before its reservation arrived");
      }
      return apply(d.set("inventoryStatus", "RELEASED"), "reserved stock released");
    }

    case "PaymentSuccess": {
      if (order.paymentStatus === "SUCCEEDED" || order.paymentStatus === "REFUNDED") {
        return skip("ALREADY_APPLIED", `payment already ${order.paymentStatus}`);
      }
      if (order.paymentStatus === "FAILED") {
        // A capture is a fact: a charge sent before the payment was closed (a paused or expired
        // PaymentInitiator run, a result that lost the race with a cancel) took the money. A
        // closed payment only exists on a cancelled order, so the money goes back.
        if (order.status !== "CANCELLED") return skip("ILLEGAL_TRANSITION", `PaymentSuccess on payment FAILED in ${order.status}`);
        return apply(d.set("paymentStatus", "SUCCEEDED"), "capture reported after the payment was closed; refund started", null, [
          { type: "RefundPayment" },
        ]);
      }
      d.set("paymentStatus", "SUCCEEDED");
      if (order.status === "CANCELLED") {
        return apply(d, "payment succeeded after cancellation; refund started", null, [{ type: "RefundPayment" }]);
      }
      if (order.status !== "PENDING") return skip("ILLEGAL_TRANSITION", `PaymentSuccess in ${order.status}`);
      if (order.inventoryStatus === "RESERVED") {
        return apply(d.set("status", "CONFIRMED"), "payment succeeded", { type: "OrderConfirmed", reason: "paid and reserved" });
      }
      return apply(d, "payment succeeded before inventory answered; waiting for inventory");
    }

    case "PaymentFailed": {
      if (order.paymentStatus === "SUCCEEDED" || order.paymentStatus === "REFUNDED") {
        return skip("STALE_RESULT", `payment already ${order.paymentStatus}`);
      }
      if (order.paymentStatus === "FAILED") return skip("ALREADY_APPLIED", "payment already failed for good");
      if (order.status === "CANCELLED")
        return apply(d.set("paymentStatus", "FAILED"), `payment failed after cancellation: ${event.reason}`);
      if (order.status !== "PENDING") return skip("ILLEGAL_TRANSITION", `PaymentFailed in ${order.status}`);
      if (event.retryable && event.attempt < ctx.maxPaymentAttempts) {
        return apply(d.set("paymentStatus", "PENDING"), `payment attempt ${event.attempt} failed (${event.reason}); retrying`, null, [
          { type: "InitiatePayment", attempt: event.attempt + 1 },
        ]);
      }
      d.set("paymentStatus", "FAILED").set("status", "CANCELLED");
      return apply(d, `payment failed after ${event.attempt} attempt(s): ${event.reason}`, {
        type: "OrderCancelled",
        reason: "payment-failed",
      });
    }

    case "PaymentRefunded": {
      if (order.paymentStatus === "REFUNDED") return skip("ALREADY_APPLIED", "payment already refunded");
      if (order.status !== "CANCELLED") return skip("ILLEGAL_TRANSITION", `PaymentRefunded in ${order.status}`);
      if (order.paymentStatus === "FAILED") {
        // Only a capture can be refunded: the money was taken after the payment was closed and
        // has been given back (the late PaymentSuccess is then ALREADY_APPLIED).
        return apply(d.set("paymentStatus", "REFUNDED"), "payment refunded (captured after it was closed)");
      }
      if (order.paymentStatus !== "SUCCEEDED") {
        // The refund overtook its PaymentSuccess: REFUNDED now, so the late success neither
        // flips the status back nor starts a second refund.
        return apply(d.set("paymentStatus", "REFUNDED"), "payment refunded before its success arrived");
      }
      return apply(d.set("paymentStatus", "REFUNDED"), "payment refunded");
    }

    case "OrderShipped": {
      if (order.deliveryStatus !== "NOT_STARTED") return skip("ALREADY_APPLIED", `delivery already ${order.deliveryStatus}`);
      if (order.status !== "CONFIRMED") return skip("ILLEGAL_TRANSITION", `OrderShipped in ${order.status}`);
      return apply(d.set("deliveryStatus", "SHIPPED").set("status", "SHIPPED"), "shipped");
    }

    case "OrderDelivered": {
      if (order.deliveryStatus === "DELIVERED") return skip("ALREADY_APPLIED", "already delivered");
      if (order.status === "CONFIRMED") {
        // OrderDelivered overtook OrderShipped; delivery implies shipment.
        return apply(
          d.set("deliveryStatus", "DELIVERED").set("status", "SHIPPED").set("status", "DELIVERED"),
          "delivered (shipment implied)",
        );
      }
      if (order.status !== "SHIPPED") return skip("ILLEGAL_TRANSITION", `OrderDelivered in ${order.status}`);
      return apply(d.set("deliveryStatus", "DELIVERED").set("status", "DELIVERED"), "delivered");
    }

    case "CancelRequested": {
      if (order.status !== "PENDING" && order.status !== "CONFIRMED") {
        return skip("NOT_CANCELLABLE", `cannot cancel an order in ${order.status}`);
      }
      d.set("status", "CANCELLED");
      const refund: FollowUp[] = order.paymentStatus === "SUCCEEDED" ? [{ type: "RefundPayment" }] : [];
      return apply(d, `cancelled: ${event.reason}`, { type: "OrderCancelled", reason: event.reason }, refund);
    }

    case "PaymentAbandoned": {
      // Only a payment still waiting for its charge can be abandoned; any result already in
      // (success, failure, refund) is the truth and stays.
      if (order.paymentStatus !== "PENDING") return skip("STALE_RESULT", `payment already ${order.paymentStatus}`);
      if (order.status !== "CANCELLED") return skip("ILLEGAL_TRANSITION", `PaymentAbandoned in ${order.status}`);
      return apply(d.set("paymentStatus", "FAILED"), "payment not attempted: order cancelled");
    }

    case "PendingTimeout": {
      if (order.status !== "PENDING") return skip("ORDER_FINAL", `no longer PENDING (${order.status})`);
      d.set("status", "CANCELLED");
      const refund: FollowUp[] = order.paymentStatus === "SUCCEEDED" ? [{ type: "RefundPayment" }] : [];
      return apply(d, "no inventory/payment answer before the deadline", { type: "OrderCancelled", reason: "timeout" }, refund);
    }
  }
}
