import type { Money } from "../money.ts";
import type { PaymentMethod } from "../schemas/order-request.ts";

/*
 * Payment attempts as values (issue 14). Every charge the PaymentInitiator sends is one attempt
 * with its own idempotency key at the payment service; automatic retries of retryable failures
 * and retries the customer starts after a decline are attempts alike. Statuses mirror the CHECK
 * constraint of migrations/0090_payment_attempts.sql.
 */

/**
 * SUCCEEDED: this attempt's capture is the order's payment (at most one attempt per order).
 * REFUNDED: it captured too, after another attempt had — refunded automatically (a second capture).
 * ABANDONED: never sent (the order was cancelled first).
 */
export const ATTEMPT_STATUSES = ["STARTED", "SUCCEEDED", "FAILED", "ABANDONED", "REFUNDED"] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Who started an attempt: the reservation (1), the automatic retry of a retryable failure, or the customer. */
export const ATTEMPT_ORIGINS = ["initial", "automatic", "customer"] as const;
export type AttemptOrigin = (typeof ATTEMPT_ORIGINS)[number];

export interface PaymentAttempt {
  readonly number: number;
  readonly method: PaymentMethod;
  /** The payment service's Idempotency-Key of this attempt (`attemptKey`). */
  readonly idempotencyKey: string;
  readonly status: AttemptStatus;
  readonly origin: AttemptOrigin;
  readonly amount: Money;
  readonly failureReason: string | null;
  /** Whether the failure was retryable (gateway trouble) or final (declined); null until it failed. */
  readonly retryable: boolean | null;
  readonly startedAt: string;
  readonly decidedAt: string | null;
}

/** What the decision table needs to know about an order's payment beyond its statuses. */
export interface PaymentFacts {
  /** The method of the order (the first attempt's); a customer retry may choose another. */
  readonly method: PaymentMethod;
  readonly attempts: readonly PaymentAttempt[];
}

/** Derived from order id + attempt number: a re-run of the same attempt is the same charge, another attempt never is. */
export const attemptKey = (orderId: string, attempt: number): string => `${orderId}:${attempt}`;

/** The refund id (payment service key) of a second capture's automatic refund. */
export const secondCaptureRefundId = (orderId: string, attempt: number): string => `refund:${orderId}:attempt:${attempt}`;

/** The ledger cause of a second capture: one per attempt (migrations/0090 indexes it). */
export const secondCaptureCause = (attempt: number): string => `attempt:${attempt}:capture`;

export const attemptOf = (facts: PaymentFacts, n: number): PaymentAttempt | undefined => facts.attempts.find((a) => a.number === n);

export const latestAttempt = (facts: PaymentFacts): PaymentAttempt | undefined =>
  facts.attempts.reduce<PaymentAttempt | undefined>((m, a) => (m === undefined || a.number > m.number ? a : m), undefined);

/** The attempt whose capture is the order's payment; any later capture is a second one, refunded. */
export const capturingAttempt = (facts: PaymentFacts): PaymentAttempt | undefined => facts.attempts.find((a) => a.status === "SUCCEEDED");

/** Attempts the customer started (each opens a new round of automatic retries). */
export const customerAttempts = (facts: PaymentFacts): number => facts.attempts.filter((a) => a.origin === "customer").length;

/** Position of attempt `n` in its round: 1 for the attempt that opened it (the first, or a customer's). */
export function positionInRound(facts: PaymentFacts, n: number): number {
  const opener = facts.attempts
    .filter((a) => a.number <= n && (a.origin === "customer" || a.origin === "initial"))
    .reduce((m, a) => Math.max(m, a.number), 1);
  return n - opener + 1;
}

export const isDecided = (a: PaymentAttempt | undefined): boolean => a !== undefined && a.status !== "STARTED";
