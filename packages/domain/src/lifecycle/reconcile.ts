import type { LifecycleEvent } from "./decide.ts";
import type { OrderState } from "./statuses.ts";

/**
 * What the payment service holds for one order (`GET /payments/{orderId}`): the attempts it
 * received, whether one of them captured money and whether that capture was given back.
 * `null` = the service never saw a charge for the order.
 */
export interface PaymentServiceRecord {
  readonly attempts: readonly number[];
  readonly captured: boolean;
  readonly refunded: boolean;
  /** Each refund executed, by the refund id it was asked under (issue 13; absent from older services). */
  readonly refunds?: ServiceRefunds;
}

/** The service could not be asked (down, breaker open): nothing is known about the money. */
export const PAYMENT_SERVICE_UNREACHABLE = "unreachable" as const;

export type PaymentServiceAnswer = PaymentServiceRecord | null | typeof PAYMENT_SERVICE_UNREACHABLE;

/** Why the order's payment and the service's record disagree (metric label, CLI column). */
export type PaymentMismatch =
  /** Money was taken but the order does not know (lost or skipped result). */
  | "CAPTURE_NOT_RECORDED"
  /** The order is cancelled and the capture it knows of has not been given back yet. */
  | "REFUND_OUTSTANDING"
  /** The service gave the money back but the order does not know. */
  | "REFUND_NOT_RECORDED"
  /** A cancelled order still waits for a charge nobody will send. */
  | "PAYMENT_LEFT_PENDING"
  /** The order says captured/refunded but the service has no such capture/refund: for a human. */
  | "ORDER_AHEAD_OF_SERVICE";

/**
 * The repair, always through the decision table (no second writer): an event to apply as if it
 * had arrived on `payments`, or a refund to ask for again (idempotent at the service), or nothing
 * but a report.
 */
export type PaymentRepair =
  | { readonly kind: "apply"; readonly event: LifecycleEvent }
  | { readonly kind: "refund" }
  | { readonly kind: "report" };

export interface ReconcileVerdict {
  readonly mismatch: PaymentMismatch;
  readonly repair: PaymentRepair;
}

export interface ReconcileContext {
  /**
   * The order has waited in CANCELLED with payment PENDING longer than the configured bound.
   * When the service cannot be asked, the payment is then abandoned anyway: a capture that shows
   * up later is refunded by the decision table, so closing the payment can never lose money.
   */
  readonly pendingPastBound: boolean;
}

/**
 * Pure: compares an order's payment with the payment service's own record and says what, if
 * anything, must be done. `null` = they agree (or the disagreement is only a result in flight
 * that needs no help yet). Invariants it serves (docs/lifecycle.md): captured ⇒ the order is
 * live or a refund is requested; refund requested ⇒ eventually REFUNDED; no cancelled order keeps
 * payment PENDING beyond a bound.
 */
export function reconcilePayment(order: OrderState, service: PaymentServiceAnswer, ctx: ReconcileContext): ReconcileVerdict | null {
  const cancelled = order.status === "CANCELLED";
  const pay = order.paymentStatus;
  if (service === PAYMENT_SERVICE_UNREACHABLE) {
    if (cancelled && pay === "PENDING" && ctx.pendingPastBound) {
      return { mismatch: "PAYMENT_LEFT_PENDING", repair: { kind: "apply", event: { type: "PaymentAbandoned", attempt: 0 } } };
    }
    return null;
  }
  const captured = service?.captured ?? false;
  const refunded = service?.refunded ?? false;

  if (captured && refunded) {
    if (pay === "REFUNDED") return null;
    // Given back at the service: record it (a cancelled order's only correct end). A live order
    // refunded behind our back is for a human, not for a robot.
    return cancelled
      ? { mismatch: "REFUND_NOT_RECORDED", repair: { kind: "apply", event: { type: "PaymentRefunded" } } }
      : { mismatch: "ORDER_AHEAD_OF_SERVICE", repair: { kind: "report" } };
  }
  if (captured) {
    if (pay === "SUCCEEDED") return cancelled ? { mismatch: "REFUND_OUTSTANDING", repair: { kind: "refund" } } : null;
    if (pay === "REFUNDED") return { mismatch: "ORDER_AHEAD_OF_SERVICE", repair: { kind: "report" } };
    // NOT_STARTED, PENDING or FAILED while money was taken: the capture is a fact; apply it as
    // the service's own PaymentSuccess would (confirm a live order, refund a cancelled one).
    return { mismatch: "CAPTURE_NOT_RECORDED", repair: { kind: "apply", event: { type: "PaymentSuccess" } } };
  }
  // No capture at the service.
  if (pay === "SUCCEEDED" || pay === "REFUNDED") return { mismatch: "ORDER_AHEAD_OF_SERVICE", repair: { kind: "report" } };
  if (cancelled && pay === "PENDING") {
    // Nothing was taken; any charge still on its way is refunded when its success arrives.
    return { mismatch: "PAYMENT_LEFT_PENDING", repair: { kind: "apply", event: { type: "PaymentAbandoned", attempt: 0 } } };
  }
  return null;
}

/** A refund the ledger requested and has not seen settled (issue 13). */
export interface OutstandingRefund {
  readonly refundId: string;
  readonly amount: string;
}

/** The service's refunds of one order (`GET /payments/{orderId}` → `refunds`). */
export type ServiceRefunds = readonly { readonly refundId: string; readonly amount: string }[];

export type RefundVerdict =
  /** The service never executed it (the refund job ran out of retries): ask again, same refund id. */
  | { readonly mismatch: "REFUND_OUTSTANDING"; readonly repair: { readonly kind: "refund" } }
  /** The service refunded it but its PaymentRefunded was lost: record the settlement it reports. */
  | { readonly mismatch: "REFUND_NOT_RECORDED"; readonly repair: { readonly kind: "settle"; readonly amount: string } };

/**
 * Pure: one outstanding ledger refund against the service's refunds. `null` = nothing is known
 * (service unreachable) — asked again on the next run. An amount that differs from the request is
 * settled as the service reports it: the writer then refuses it (`AMOUNT_MISMATCH`) and a human
 * looks (the skip is in the timeline).
 */
export function reconcileRefund(
  request: OutstandingRefund,
  service: ServiceRefunds | null | typeof PAYMENT_SERVICE_UNREACHABLE,
): RefundVerdict | null {
  if (service === PAYMENT_SERVICE_UNREACHABLE) return null;
  const done = service?.find((r) => r.refundId === request.refundId);
  if (done) return { mismatch: "REFUND_NOT_RECORDED", repair: { kind: "settle", amount: done.amount } };
  return { mismatch: "REFUND_OUTSTANDING", repair: { kind: "refund" } };
}
