import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DecisionContext,
  decide,
  type LifecycleEvent,
  type Money,
  PAYMENT_SERVICE_UNREACHABLE,
  type PaymentFacts,
  type PaymentServiceAnswer,
  reconcilePayment,
  recordAttempts,
} from "../src/index.ts";
import { type ChargeOutcome, isSharedStep, OrderWorld, playShared, type SharedStep, take } from "./support/order-world.ts";

/*
 * The money invariants of docs/lifecycle.md, proven over arbitrary interleavings of everything
 * that can happen to one order: results delivered late, twice, out of order or never; cancels and
 * timeouts at any moment; PaymentInitiator runs that read the order, pause, and charge after the
 * order was cancelled and the payment abandoned by another run; refund jobs that run late or
 * exhaust their retries; the payment service unreachable; and reconciliation runs in between.
 *
 *   captured ⇒ the order is live, or a refund is requested   (at rest)
 *   refund requested ⇒ eventually REFUNDED                   (after the world settles)
 *   no order ends CANCELLED with payment PENDING
 */

const ctx = { maxPaymentAttempts: 3 };
/**
 * Issue 14's rules: a final decline waits for the customer (payment ACTION_REQUIRED) instead of
 * cancelling, customer retries, the window's expiry; the decision table sees the attempts.
 */
const ctx14: DecisionContext = { maxPaymentAttempts: 3, paymentActionWindowMs: 60_000, maxCustomerAttempts: 2 };

/** The payment service as the simulator behaves: one capture per order, idempotent per attempt. */
class PaymentServiceModel {
  readonly decided = new Map<number, ChargeOutcome>();
  captured = false;
  refunded = false;
  /** Answers (records on `payments`) it has emitted. */
  charge(attempt: number, outcome: ChargeOutcome): LifecycleEvent {
    const known = this.captured ? "success" : this.decided.get(attempt);
    const result = known ?? outcome;
    if (!known) {
      this.decided.set(attempt, result);
      if (result === "success") this.captured = true;
    }
    return result === "success"
      ? { type: "PaymentSuccess" }
      : { type: "PaymentFailed", reason: result, retryable: result === "retryable", attempt };
  }
  refund(): LifecycleEvent | null {
    if (!this.captured) return null;
    this.refunded = true;
    return { type: "PaymentRefunded" };
  }
  record(): PaymentServiceAnswer {
    if (this.decided.size === 0) return null;
    return { attempts: [...this.decided.keys()], captured: this.captured, refunded: this.refunded };
  }
}

class World extends OrderWorld {
  /** Issue 14 mode: attempts are recorded and passed to the decision table (undefined: before issue 14). */
  facts: PaymentFacts | undefined;
  readonly decision: DecisionContext;
  constructor(decision: DecisionContext = ctx) {
    super();
    this.decision = decision;
    if (decision.paymentActionWindowMs) this.facts = { method: "card", attempts: [] };
  }
  readonly service = new PaymentServiceModel();
  /** PaymentInitiator runs that read a chargeable order and are paused before their charge. */
  pausedCharges: number[] = [];
  /** Every attempt a job was ever created for (a stale run can only charge one of these). */
  readonly attempts = new Set<number>();

  apply(event: LifecycleEvent): void {
    const d = decide(this.state, event, this.decision, this.facts);
    if (d.kind === "skip") return;
    if (this.facts) this.facts = recordAttempts(this.facts, this.state, event, d, { orderId: "o", amount: "10.00" as Money, now: "t" });
    this.state = d.next;
    for (const f of d.followUps) {
      this.jobs.push(f);
      if (f.type === "InitiatePayment") this.attempts.add(f.attempt);
    }
  }

  /** One PaymentInitiator run, as packages/lifecycle/src/jobs does it. `pause` = it read the order, then stalls. */
  runInitiator(attempt: number, outcome: ChargeOutcome, pause: boolean): void {
    if (this.state.status === "PENDING" && this.state.paymentStatus === "PENDING") {
      if (pause) this.pausedCharges.push(attempt);
      else this.inFlight.push(this.service.charge(attempt, outcome));
    } else if (this.state.status === "CANCELLED" && this.state.paymentStatus === "PENDING") {
      this.apply({ type: "PaymentAbandoned", attempt });
    }
  }

  runRefund(): void {
    if (this.state.paymentStatus !== "SUCCEEDED") return;
    const answer = this.service.refund();
    if (answer) this.inFlight.push(answer);
  }

  reconcile(reachable: boolean, pendingPastBound: boolean): void {
    const verdict = reconcilePayment(this.state, reachable ? this.service.record() : PAYMENT_SERVICE_UNREACHABLE, { pendingPastBound });
    if (!verdict) return;
    if (verdict.repair.kind === "apply") this.apply(verdict.repair.event);
    else if (verdict.repair.kind === "refund" && reachable) this.runRefund();
  }

  /** Runs everything still queued, with no more faults, until nothing moves. */
  settle(): void {
    for (let round = 0; round < 50; round++) {
      for (const j of this.deliverAll()) j.type === "InitiatePayment" ? this.runInitiator(j.attempt, "success", false) : this.runRefund();
      const paused = this.pausedCharges;
      this.pausedCharges = [];
      for (const a of paused) this.inFlight.push(this.service.charge(a, "success"));
      // Shipment is outside the money story; a confirmed order simply stays live.
      if (this.state.paymentStatus === "ACTION_REQUIRED") this.apply({ type: "PaymentWindowExpired" });
      if (this.state.status === "PENDING") this.apply({ type: "PendingTimeout" });
      this.reconcile(true, true);
      if (this.inFlight.length === 0 && this.jobs.length === 0 && this.pausedCharges.length === 0) return;
    }
    throw new Error(`world never settled: ${JSON.stringify(this.state)}`);
  }
}

type Step =
  | SharedStep
  | { kind: "lose"; pick: number }
  | { kind: "job"; pick: number; outcome: ChargeOutcome; pause: boolean; exhaust: boolean }
  | { kind: "resumePaused"; pick: number; outcome: ChargeOutcome }
  | { kind: "staleCharge"; pick: number; outcome: ChargeOutcome }
  | { kind: "inventory"; ok: boolean }
  | { kind: "reconcile"; reachable: boolean; pendingPastBound: boolean }
  | { kind: "customerRetry" }
  | { kind: "windowExpired" };

const outcome = fc.constantFrom<ChargeOutcome>("success", "retryable", "declined");
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("deliver"), pick: fc.nat(), keepCopy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lose"), pick: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("job"), pick: fc.nat(), outcome, pause: fc.boolean(), exhaust: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("resumePaused"), pick: fc.nat(), outcome }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("staleCharge"), pick: fc.nat(), outcome }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("inventory"), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("timeout") }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("reconcile"), reachable: fc.boolean(), pendingPastBound: fc.boolean() }),
  },
);

/** The same steps plus issue 14's: the customer pays again, the action-required window closes. */
const step14: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: step },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("customerRetry") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("windowExpired") }) },
);

function play(steps: readonly Step[], decision: DecisionContext = ctx): World {
  const w = new World(decision);
  for (const s of steps) {
    if (isSharedStep(s)) {
      playShared(w, s);
      continue;
    }
    switch (s.kind) {
      case "lose":
        // A record that never reaches the consumer (only reconciliation can learn of it).
        take(w.inFlight, s.pick);
        break;
      case "job": {
        const j = take(w.jobs, s.pick, s.exhaust ? false : undefined);
        // `exhaust`: the job spent all its retries in an outage and is gone without effect.
        if (!j || s.exhaust) break;
        if (j.type === "InitiatePayment") w.runInitiator(j.attempt, s.outcome, s.pause);
        else w.runRefund();
        break;
      }
      case "resumePaused": {
        // The paused run wakes up and sends the charge it decided on long ago, whatever the
        // order looks like now: nothing fences it off.
        const attempt = take(w.pausedCharges, s.pick);
        if (attempt !== undefined) w.inFlight.push(w.service.charge(attempt, s.outcome));
        break;
      }
      case "staleCharge": {
        // A re-run of an expired job racing its first run: a charge for any attempt ever created.
        const attempt = take([...w.attempts], s.pick, true);
        if (attempt !== undefined) w.inFlight.push(w.service.charge(attempt, s.outcome));
        break;
      }
      case "inventory":
        w.inventoryAnswered = true;
        w.apply(s.ok ? { type: "InventoryReserved" } : { type: "InventoryFailure", reason: "out of stock" });
        break;
      case "reconcile":
        w.reconcile(s.reachable, s.pendingPastBound);
        break;
      case "customerRetry":
        w.apply({ type: "PaymentRetryRequested", method: "upi" });
        break;
      case "windowExpired":
        w.apply({ type: "PaymentWindowExpired" });
        break;
    }
  }
  return w;
}

/** After the world settles: captured ⇒ live or refunded; cancelled ⇒ payment final and no money kept. */
function expectMoneySettled(w: World): void {
  const { status, paymentStatus } = w.state;
  if (w.service.captured && !w.service.refunded) expect(status).not.toBe("CANCELLED");
  if (status === "CANCELLED") expect(["NOT_STARTED", "FAILED", "REFUNDED"]).toContain(paymentStatus);
  // The order's payment agrees with the service's own record.
  expect(paymentStatus === "REFUNDED").toBe(w.service.refunded);
  if (paymentStatus === "SUCCEEDED") expect(w.service.captured).toBe(true);
  if (w.service.captured && status !== "CANCELLED") expect(paymentStatus).toBe("SUCCEEDED");
}

describe("money invariants over arbitrary interleavings (docs/lifecycle.md)", () => {
  it("after the world settles: captured ⇒ live or refunded; cancelled ⇒ payment final and no money kept", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const w = play(steps);
        w.settle();
        expectMoneySettled(w);
      }),
      { numRuns: 8_000 },
    );
  }, 60_000);

  it("the same invariants with customer retries and the action-required window (issue 14)", () => {
    fc.assert(
      fc.property(fc.array(step14, { maxLength: 40 }), (steps) => {
        const w = play(steps, ctx14);
        if (w.state.paymentStatus === "ACTION_REQUIRED") expect(w.state.status).toBe("PENDING");
        w.settle();
        expectMoneySettled(w);
        const { status, paymentStatus } = w.state;
        // Nothing waits for a customer once the world settled: the window closed or a retry ended it.
        expect(status).not.toBe("PENDING");
        expect(paymentStatus).not.toBe("ACTION_REQUIRED");
        // Every attempt ever started is bounded; at most one attempt is the order's capture.
        expect(w.facts?.attempts.length ?? 0).toBeLessThanOrEqual(ctx14.maxPaymentAttempts * (1 + (ctx14.maxCustomerAttempts ?? 0)));
        expect(w.facts?.attempts.filter((a) => a.status === "SUCCEEDED").length ?? 0).toBeLessThanOrEqual(1);
      }),
      { numRuns: 6_000 },
    );
  }, 60_000);

  it("at rest (nothing in flight, no paused run, one reconciliation since): a capture on a cancelled order has a refund requested or done", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const w = play(steps);
        // Deliver what is in flight, without running jobs, then one reconciliation pass (the
        // only way to learn of a capture whose record was lost): a capture must now be known.
        for (let e = w.inFlight.shift(); e; e = w.inFlight.shift()) w.apply(e);
        w.reconcile(true, false);
        if (w.pausedCharges.length > 0) return;
        if (w.service.captured && w.state.status === "CANCELLED" && !w.service.refunded) {
          expect(w.state.paymentStatus).toBe("SUCCEEDED");
        }
      }),
      { numRuns: 8_000 },
    );
  }, 60_000);

  it("the stale-run timeline of issue 10 ends refunded: timeout → abandoned → late capture", () => {
    const w = new World();
    w.apply({ type: "InventoryReserved" });
    const job = w.jobs.shift();
    expect(job).toEqual({ type: "InitiatePayment", attempt: 1 });
    w.runInitiator(1, "success", true); // read the order, paused before the charge
    w.apply({ type: "PendingTimeout" });
    w.runInitiator(1, "success", false); // the expired job's re-run: order cancelled → abandon
    expect(w.state).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
    w.inFlight.push(w.service.charge(1, "success")); // the paused run resumes and charges
    for (let e = w.inFlight.shift(); e; e = w.inFlight.shift()) w.apply(e);
    expect(w.state.paymentStatus).toBe("SUCCEEDED");
    expect(w.jobs).toEqual([{ type: "RefundPayment" }]);
    w.settle();
    expect(w.service.refunded).toBe(true);
    expect(w.state.paymentStatus).toBe("REFUNDED");
  });
});
