import type { Decision, LifecycleEvent } from "../lifecycle/decide.ts";
import type { OrderState } from "../lifecycle/statuses.ts";
import type { Money } from "../money.ts";
import {
  type AttemptOrigin,
  type AttemptStatus,
  attemptKey,
  attemptOf,
  latestAttempt,
  type PaymentAttempt,
  type PaymentFacts,
} from "./attempts.ts";

export interface AttemptContext {
  readonly orderId: string;
  /** What each attempt charges: the order's total. */
  readonly amount: Money;
  readonly now: string;
}

const upsert = (attempts: readonly PaymentAttempt[], a: PaymentAttempt): PaymentAttempt[] => [
  ...attempts.filter((x) => x.number !== a.number),
  a,
];

function started(facts: PaymentFacts, ctx: AttemptContext, n: number, origin: AttemptOrigin, method = facts.method): PaymentAttempt {
  return {
    number: n,
    method,
    idempotencyKey: attemptKey(ctx.orderId, n),
    status: "STARTED",
    origin,
    amount: ctx.amount,
    failureReason: null,
    retryable: null,
    startedAt: ctx.now,
    decidedAt: null,
  };
}

/** An attempt's outcome; an attempt never heard of (started before attempts were recorded) is created with it. */
function decided(
  facts: PaymentFacts,
  ctx: AttemptContext,
  n: number,
  status: AttemptStatus,
  failure: { reason: string; retryable: boolean } | null = null,
): PaymentAttempt {
  const known = attemptOf(facts, n) ?? started(facts, ctx, n, n === 1 ? "initial" : "automatic");
  return { ...known, status, failureReason: failure?.reason ?? null, retryable: failure?.retryable ?? null, decidedAt: ctx.now };
}

/**
 * The attempts after an applied decision (pure; the one writer stores the difference). Skips
 * change nothing, so each attempt's outcome is recorded once: the decision table refuses an
 * outcome for an attempt already decided.
 */
export function recordAttempts(
  facts: PaymentFacts,
  before: OrderState,
  event: LifecycleEvent,
  decision: Decision,
  ctx: AttemptContext,
): PaymentFacts {
  if (decision.kind !== "apply") return facts;
  let attempts: readonly PaymentAttempt[] = facts.attempts;
  const current = (): PaymentFacts => ({ ...facts, attempts });
  switch (event.type) {
    case "PaymentFailed":
      attempts = upsert(attempts, decided(current(), ctx, event.attempt, "FAILED", { reason: event.reason, retryable: event.retryable }));
      break;
    case "PaymentSuccess": {
      if (decision.secondCapture) {
        attempts = upsert(attempts, decided(current(), ctx, decision.secondCapture.attempt, "REFUNDED"));
        break;
      }
      if (before.paymentStatus === "SUCCEEDED" || decision.next.paymentStatus !== "SUCCEEDED") break;
      // Reconciliation's success names no attempt: the latest one still waiting captured.
      const latest = latestAttempt(current());
      const n =
        event.attempt ??
        [...attempts].filter((a) => a.status === "STARTED").sort((a, b) => b.number - a.number)[0]?.number ??
        latest?.number ??
        1;
      attempts = upsert(attempts, decided(current(), ctx, n, "SUCCEEDED"));
      break;
    }
    case "PaymentAbandoned": {
      // Reconciliation abandons with attempt 0 (it knows no number): the attempts still waiting.
      if (event.attempt < 1) {
        for (const w of attempts.filter((x) => x.status === "STARTED"))
          attempts = upsert(attempts, decided(current(), ctx, w.number, "ABANDONED"));
        break;
      }
      const a = attemptOf(current(), event.attempt);
      if (a === undefined || a.status === "STARTED") attempts = upsert(attempts, decided(current(), ctx, event.attempt, "ABANDONED"));
      break;
    }
    default:
      break;
  }
  for (const f of decision.followUps) {
    if (f.type !== "InitiatePayment" || attemptOf(current(), f.attempt)) continue;
    const origin: AttemptOrigin = event.type === "PaymentRetryRequested" ? "customer" : f.attempt === 1 ? "initial" : "automatic";
    attempts = upsert(attempts, started(current(), ctx, f.attempt, origin, f.method ?? facts.method));
  }
  return attempts === facts.attempts ? facts : { ...facts, attempts: [...attempts].sort((a, b) => a.number - b.number) };
}
