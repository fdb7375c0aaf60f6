import {
  attemptOf,
  capturingAttempt,
  customerAttempts,
  isDecided,
  latestAttempt,
  type PaymentFacts,
  positionInRound,
} from "../payments/attempts.ts";
import type { PaymentMethod } from "../schemas/order-request.ts";
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
  /** `attempt`: which attempt captured (absent from older producers and from reconciliation). */
  | { readonly type: "PaymentSuccess"; readonly attempt?: number }
  | { readonly type: "PaymentFailed"; readonly reason: string; readonly retryable: boolean; readonly attempt: number }
  | { readonly type: "PaymentRefunded" }
  | { readonly type: "OrderShipped" }
  | { readonly type: "OrderDelivered" }
  /** The customer refused a cash-on-delivery parcel at the door (deliveries topic, issue 14). */
  | { readonly type: "DeliveryRefused"; readonly reason: string }
  | { readonly type: "CancelRequested"; readonly reason: string }
  | { readonly type: "PendingTimeout" }
  /** The PaymentInitiator found the order cancelled and never sent this attempt's charge. */
  | { readonly type: "PaymentAbandoned"; readonly attempt: number }
  /** The customer starts another attempt after a decline (API, issue 14). */
  | { readonly type: "PaymentRetryRequested"; readonly method: PaymentMethod }
  /** The action-required window closed without a successful attempt (expiry job, issue 14). */
  | { readonly type: "PaymentWindowExpired" };

export type LifecycleEventType = LifecycleEvent["type"];

/** Work the caller must start in the same transaction (pg-boss jobs). */
export type FollowUp =
  /** `method`: the attempt's, when not the order's (a customer retry with another method, and its automatic retries). */
  | {
      readonly type: "InitiatePayment";
      readonly attempt: number;
      readonly method?: PaymentMethod;
      /**
       * Cash on delivery collected (issue 14): nothing else would ever start this capture again (no
       * deadline, no cancellation), so its job retries through outages as long as a refund's does.
       */
      readonly collect?: true;
    }
  /**
   * `refundId`/`amount` come from the money ledger (issue 13): the writer fills them in; without
   * them the job refunds the whole capture under `refund:<order id>` (jobs queued before).
   */
  | { readonly type: "RefundPayment"; readonly refundId?: string; readonly amount?: string };

export type ProducedEventType = "OrderConfirmed" | "OrderCancelled" | "PaymentActionRequired" | "PaymentAttemptStarted";

export type Decision =
  | {
      readonly kind: "apply";
      readonly next: OrderState;
      /** Timeline text: why the order looks the way it does now. */
      readonly note: string;
      readonly emit: { readonly type: ProducedEventType; readonly reason: string } | null;
      readonly followUps: readonly FollowUp[];
      /** This attempt captured after another one had: record it and refund it (the order is unchanged). */
      readonly secondCapture?: { readonly attempt: number };
    }
  | {
      readonly kind: "skip";
      /** Stable code; the caller records it in the timeline and acknowledges the message. */
      readonly reason: SkipReason;
      readonly note: string;
    };

export type SkipReason =
  | "ALREADY_APPLIED"
  | "ORDER_FINAL"
  | "NOT_CANCELLABLE"
  | "STALE_RESULT"
  | "ILLEGAL_TRANSITION"
  /** A customer retry while no action is required (HTTP 409). */
  | "NO_ACTION_REQUIRED"
  /** A customer retry beyond `maxCustomerAttempts` (HTTP 409). */
  | "ATTEMPTS_EXHAUSTED";

export interface DecisionContext {
  /** Payment attempts allowed in all, the first included. */
  readonly maxPaymentAttempts: number;
  /**
   * Issue 14: a final decline leaves the order PENDING with payment ACTION_REQUIRED (the writer
   * sets the window's deadline) instead of cancelling it, while the customer may still start an
   * attempt. 0 or absent: the decline cancels at once, as before.
   */
  readonly paymentActionWindowMs?: number;
  /** Attempts the customer may start after declines (each with its own automatic retries). */
  readonly maxCustomerAttempts?: number;
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
export function decide(order: OrderState, event: LifecycleEvent, ctx: DecisionContext, facts?: PaymentFacts): Decision {
  try {
    return decideUnchecked(order, event, ctx, facts);
  } catch (error) {
    if (error instanceof TableRefusal) return skip("ILLEGAL_TRANSITION", `${event.type}: ${error.message}`);
    throw error;
  }
}

/** Whether a final decline now waits for the customer instead of cancelling. */
const customerMayRetry = (ctx: DecisionContext, facts: PaymentFacts | undefined): boolean =>
  facts !== undefined && (ctx.paymentActionWindowMs ?? 0) > 0 && customerAttempts(facts) < (ctx.maxCustomerAttempts ?? 0);

function decideUnchecked(order: OrderState, event: LifecycleEvent, ctx: DecisionContext, facts?: PaymentFacts): Decision {
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
      if (order.paymentStatus === "ACTION_REQUIRED") {
        // The decline overtook the reservation: the stock is held while the customer decides.
        return apply(d, "inventory reserved; payment waits for the customer");
      }
      if (facts?.method === "cod" && order.paymentStatus === "NOT_STARTED") {
        // Cash on delivery: nothing is charged now; the courier collects, OrderDelivered captures.
        return apply(d.set("status", "CONFIRMED"), "inventory reserved; cash on delivery", {
          type: "OrderConfirmed",
          reason: "reserved, cash on delivery",
        });
      }
      if (order.paymentStatus === "PENDING" && facts !== undefined && facts.attempts.length > 0) {
        // A customer's attempt overtook the reservation: it is already on its way.
        return apply(d, "inventory reserved; payment attempt already on its way");
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
      if (facts !== undefined && event.attempt !== undefined) {
        const attempt = attemptOf(facts, event.attempt);
        if (attempt?.status === "SUCCEEDED" || attempt?.status === "REFUNDED") {
          return skip("ALREADY_APPLIED", `attempt ${event.attempt} already ${attempt.status}`);
        }
        const first = capturingAttempt(facts);
        if (first !== undefined && first.number !== event.attempt) {
          // At most one capture per order: another attempt already captured, so this one's money
          // goes back whatever the order's state (issue 14).
          return {
            kind: "apply",
            next: order,
            note: `attempt ${event.attempt} captured after attempt ${first.number} had; refunded automatically`,
            emit: null,
            followUps: [],
            secondCapture: { attempt: event.attempt },
          };
        }
      }
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
      if (order.status !== "PENDING") {
        // Cash on delivery: the capture of the money the courier collected (payment PENDING since delivery).
        if (order.paymentStatus === "PENDING" && facts?.method === "cod") return apply(d, "cash on delivery captured");
        return skip("ILLEGAL_TRANSITION", `PaymentSuccess in ${order.status}`);
      }
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
      if (facts !== undefined) {
        const attempt = attemptOf(facts, event.attempt);
        if (isDecided(attempt)) return skip("ALREADY_APPLIED", `attempt ${event.attempt} already ${attempt?.status}`);
        const latest = latestAttempt(facts);
        if (latest !== undefined && latest.number > event.attempt) {
          return skip("STALE_RESULT", `attempt ${event.attempt} failed after attempt ${latest.number} began`);
        }
      }
      if (order.paymentStatus === "ACTION_REQUIRED") return skip("ALREADY_APPLIED", "payment already waits for the customer");
      if (order.status === "CANCELLED")
        return apply(d.set("paymentStatus", "FAILED"), `payment failed after cancellation: ${event.reason}`);
      if (order.status !== "PENDING") return skip("ILLEGAL_TRANSITION", `PaymentFailed in ${order.status}`);
      // Automatic retries count per round: the first attempt and each customer retry open one.
      const position = facts ? positionInRound(facts, event.attempt) : event.attempt;
      if (event.retryable && position < ctx.maxPaymentAttempts) {
        const method = facts ? attemptOf(facts, event.attempt)?.method : undefined;
        return apply(d.set("paymentStatus", "PENDING"), `payment attempt ${event.attempt} failed (${event.reason}); retrying`, null, [
          method && method !== facts?.method
            ? { type: "InitiatePayment", attempt: event.attempt + 1, method }
            : { type: "InitiatePayment", attempt: event.attempt + 1 },
        ]);
      }
      if (customerMayRetry(ctx, facts)) {
        // Issue 14: the order and its stock wait for the customer (until the window closes).
        return apply(
          d.set("paymentStatus", "ACTION_REQUIRED"),
          `payment attempt ${event.attempt} failed (${event.reason}); waiting for the customer to retry`,
          { type: "PaymentActionRequired", reason: event.reason },
        );
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
      // Cash on delivery: the courier collected the money; the payment service captures it now.
      const collect: FollowUp[] =
        facts?.method === "cod" && order.paymentStatus === "NOT_STARTED" && (order.status === "CONFIRMED" || order.status === "SHIPPED")
          ? [{ type: "InitiatePayment", attempt: 1, collect: true }]
          : [];
      if (collect.length > 0) d.set("paymentStatus", "PENDING");
      const cod = collect.length > 0 ? "; cash on delivery to capture" : "";
      if (order.status === "CONFIRMED") {
        // OrderDelivered overtook OrderShipped; delivery implies shipment.
        return apply(
          d.set("deliveryStatus", "DELIVERED").set("status", "SHIPPED").set("status", "DELIVERED"),
          `delivered (shipment implied)${cod}`,
          null,
          collect,
        );
      }
      if (order.status !== "SHIPPED") return skip("ILLEGAL_TRANSITION", `OrderDelivered in ${order.status}`);
      return apply(d.set("deliveryStatus", "DELIVERED").set("status", "DELIVERED"), `delivered${cod}`, null, collect);
    }

    case "DeliveryRefused": {
      if (order.status === "CANCELLED") return skip("ALREADY_APPLIED", "already cancelled");
      if (order.deliveryStatus === "DELIVERED") return skip("STALE_RESULT", "already delivered");
      if (order.status !== "CONFIRMED" && order.status !== "SHIPPED")
        return skip("ILLEGAL_TRANSITION", `DeliveryRefused in ${order.status}`);
      // Only cash on delivery can be refused: a prepaid parcel coming back is a return for a human.
      if (facts?.method !== "cod" || order.paymentStatus !== "NOT_STARTED") {
        return skip("ILLEGAL_TRANSITION", `a refused delivery of a ${facts?.method ?? "prepaid"} order (payment ${order.paymentStatus})`);
      }
      // Nothing was charged; the parcel's units come back through the returns flow (the writer
      // records the return and its receipt, whose ReturnReceived restocks them), so the stock is
      // given back by the restock, not by a release of the hold.
      d.set("deliveryStatus", "SHIPPED").set("status", "CANCELLED").set("inventoryStatus", "RELEASED");
      return apply(d, `delivery refused (${event.reason}): cancelled; the parcel comes back as a return`);
    }

    case "CancelRequested": {
      if (order.status !== "PENDING" && order.status !== "CONFIRMED") {
        return skip("NOT_CANCELLABLE", `cannot cancel an order in ${order.status}`);
      }
      d.set("status", "CANCELLED");
      // Nothing is in flight while the payment waits for the customer: close it.
      if (order.paymentStatus === "ACTION_REQUIRED") d.set("paymentStatus", "FAILED");
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

    case "PaymentRetryRequested": {
      if (order.status !== "PENDING" || order.paymentStatus !== "ACTION_REQUIRED") {
        return skip("NO_ACTION_REQUIRED", `no payment action required (${order.status}, payment ${order.paymentStatus})`);
      }
      if (facts !== undefined && customerAttempts(facts) >= (ctx.maxCustomerAttempts ?? 0)) {
        return skip("ATTEMPTS_EXHAUSTED", `the customer already started ${customerAttempts(facts)} attempt(s)`);
      }
      const attempt = (facts ? (latestAttempt(facts)?.number ?? 0) : 0) + 1;
      return apply(
        d.set("paymentStatus", "PENDING"),
        `customer started payment attempt ${attempt} (${event.method})`,
        { type: "PaymentAttemptStarted", reason: "customer retry" },
        [{ type: "InitiatePayment", attempt, method: event.method }],
      );
    }

    case "PaymentWindowExpired": {
      if (order.status !== "PENDING") return skip("ORDER_FINAL", `no longer PENDING (${order.status})`);
      if (order.paymentStatus !== "ACTION_REQUIRED")
        return skip("STALE_RESULT", `payment ${order.paymentStatus}: a retry began or a result arrived`);
      d.set("paymentStatus", "FAILED").set("status", "CANCELLED");
      return apply(d, "no successful payment attempt before the window closed", { type: "OrderCancelled", reason: "payment-failed" });
    }

    case "PendingTimeout": {
      if (order.status !== "PENDING") return skip("ORDER_FINAL", `no longer PENDING (${order.status})`);
      // The action-required window, not the PENDING deadline, governs a payment waiting for the customer.
      if (order.paymentStatus === "ACTION_REQUIRED") return skip("STALE_RESULT", "payment waits for the customer (window)");
      d.set("status", "CANCELLED");
      const refund: FollowUp[] = order.paymentStatus === "SUCCEEDED" ? [{ type: "RefundPayment" }] : [];
      return apply(d, "no inventory/payment answer before the deadline", { type: "OrderCancelled", reason: "timeout" }, refund);
    }
  }
}
