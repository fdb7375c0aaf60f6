import type { OrderState } from "../lifecycle/statuses.ts";
import type { PaymentActionRequiredPayload, PaymentAttemptStartedPayload } from "../schemas/payment-events.ts";
import { latestAttempt, type PaymentFacts } from "./attempts.ts";

interface OrderHead {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly state: OrderState;
}

/** PaymentActionRequired of the attempt just declined (the latest). */
export function paymentActionRequiredPayload(
  o: OrderHead,
  facts: PaymentFacts,
  reason: string,
  deadline: string,
  at: Date,
): PaymentActionRequiredPayload {
  const attempt = latestAttempt(facts);
  return {
    orderId: o.id,
    userId: o.userId,
    attempt: attempt?.number ?? 1,
    method: attempt?.method ?? facts.method,
    reason,
    amount: o.totalAmount,
    currency: o.currency,
    deadline,
    requiredAt: at.toISOString(),
  };
}

/** PaymentAttemptStarted of the attempt just started (the latest). */
export function paymentAttemptStartedPayload(o: OrderHead, facts: PaymentFacts, at: Date): PaymentAttemptStartedPayload {
  const attempt = latestAttempt(facts);
  return {
    orderId: o.id,
    userId: o.userId,
    attempt: attempt?.number ?? 1,
    method: attempt?.method ?? facts.method,
    origin: attempt?.origin ?? "customer",
    amount: o.totalAmount,
    currency: o.currency,
    startedAt: at.toISOString(),
  };
}
