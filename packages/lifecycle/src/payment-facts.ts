import type { OrderPayment } from "@orders/db";
import {
  type Decision,
  type DecisionContext,
  type LifecycleEvent,
  type Money,
  type OrderState,
  paymentActionRequiredPayload,
  paymentAttemptStartedPayload,
  recordAttempts,
} from "@orders/domain";

/*
 * The payment-attempt part of the one writer (issue 14): what an applied decision does to an
 * order's attempts and action-required deadline, and the payloads of the payment events.
 */

interface OrderHead {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly state: OrderState;
}

/** Attempts after `decision`, and the window's deadline when the payment now waits for the customer. */
export function nextPayment(
  order: OrderHead,
  pay: OrderPayment,
  before: OrderState,
  event: LifecycleEvent,
  decision: Decision,
  ctx: DecisionContext,
  now: Date,
): OrderPayment {
  if (decision.kind !== "apply") return pay;
  const facts = recordAttempts(pay, before, event, decision, {
    orderId: order.id,
    amount: order.totalAmount as Money,
    now: now.toISOString(),
  });
  const waits = decision.next.paymentStatus === "ACTION_REQUIRED" && before.paymentStatus !== "ACTION_REQUIRED";
  const actionDeadline = waits ? new Date(now.getTime() + (ctx.paymentActionWindowMs ?? 0)).toISOString() : pay.actionDeadline;
  return facts === pay && actionDeadline === pay.actionDeadline ? pay : { ...facts, actionDeadline };
}

/** The payload of a payment event the decision emits (PaymentActionRequired, PaymentAttemptStarted). */
export function paymentEventPayload(order: OrderHead, pay: OrderPayment, emit: { type: string; reason: string }, now: Date): unknown {
  if (emit.type === "PaymentActionRequired")
    return paymentActionRequiredPayload(order, pay, emit.reason, pay.actionDeadline ?? now.toISOString(), now);
  return paymentAttemptStartedPayload(order, pay, now);
}
