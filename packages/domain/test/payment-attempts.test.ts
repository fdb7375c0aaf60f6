import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AdjustmentState,
  attemptKey,
  DEFAULT_REFUND_POLICY,
  type Decision,
  type DecisionContext,
  decide,
  decideAdjustment,
  type FollowUp,
  INITIAL_ORDER_STATE,
  type LifecycleEvent,
  type Money,
  type OrderState,
  type PaymentFacts,
  type PaymentMethod,
  recordAttempts,
} from "../src/index.ts";
import { type ChargeOutcome, isSharedStep, OrderWorld, playShared, type SharedStep, take } from "./support/order-world.ts";

/*
 * Payment attempts (issue 14): customer retries after a decline, the action-required window,
 * automatic retries counted as attempts, and at most one capture per order net of the automatic
 * refunds of second captures — over arbitrary interleavings of results delivered late, twice and
 * out of order, gateways that capture after reporting a timeout, cancels, timeouts and expiries.
 */

const ctx: DecisionContext = { maxPaymentAttempts: 3, paymentActionWindowMs: 60_000, maxCustomerAttempts: 2 };
const ORDER = "0190b3c4-0000-7000-8000-000000000001";
const AMOUNT = "30.00" as Money;

/** A gateway with one payment per attempt key (not per order): two attempts can both capture. */
class GatewayModel {
  readonly decided = new Map<number, ChargeOutcome>();
  readonly captured = new Set<number>();
  readonly refunded = new Set<number>();
  charge(attempt: number, outcome: ChargeOutcome): LifecycleEvent {
    const result = this.decided.get(attempt) ?? outcome;
    if (!this.decided.has(attempt)) {
      this.decided.set(attempt, result);
      if (result === "success") this.captured.add(attempt);
    }
    return result === "success"
      ? { type: "PaymentSuccess", attempt }
      : { type: "PaymentFailed", reason: result, retryable: result === "retryable", attempt };
  }
  /** It answered "gateway timeout" but took the money after all (the late success after a retry began). */
  captureLate(attempt: number): LifecycleEvent | null {
    if (this.decided.get(attempt) !== "retryable" || this.captured.has(attempt)) return null;
    this.captured.add(attempt);
    return { type: "PaymentSuccess", attempt };
  }
  refund(attempt: number): void {
    if (this.captured.has(attempt)) this.refunded.add(attempt);
  }
  get netCaptures(): number {
    return this.captured.size - this.refunded.size;
  }
}

class World extends OrderWorld {
  facts: PaymentFacts = { method: "card", attempts: [] };
  readonly gateway = new GatewayModel();
  /** Second captures the writer would refund (its ledger mirror asks for them). */
  secondCaptureRefunds: number[] = [];
  /**
   * Attempt outcomes applied (not skipped), to prove each is applied once. A success after a failure
   * of the same attempt is a second outcome on purpose: a gateway that reported a timeout may still capture.
   */
  readonly outcomesApplied: string[] = [];
  clock = 0;

  apply(event: LifecycleEvent): Decision {
    const before = this.state;
    const d = decide(before, event, ctx, this.facts);
    if (d.kind === "skip") return d;
    this.facts = recordAttempts(this.facts, before, event, d, {
      orderId: ORDER,
      amount: AMOUNT,
      now: new Date(++this.clock).toISOString(),
    });
    this.state = d.next;
    if ((event.type === "PaymentSuccess" || event.type === "PaymentFailed") && event.attempt !== undefined)
      this.outcomesApplied.push(`${event.attempt}:${event.type}`);
    if (d.secondCapture) this.secondCaptureRefunds.push(d.secondCapture.attempt);
    this.jobs.push(...d.followUps);
    return d;
  }

  /** PaymentInitiator: charges the attempt with its own key while the order waits for it. */
  runJob(job: FollowUp, outcome: ChargeOutcome): void {
    if (job.type === "RefundPayment") {
      const capturing = this.facts.attempts.find((a) => a.status === "SUCCEEDED");
      if (capturing) this.gateway.refund(capturing.number);
      if (this.state.paymentStatus === "SUCCEEDED") this.inFlight.push({ type: "PaymentRefunded" });
      return;
    }
    if (this.state.status === "PENDING" && this.state.paymentStatus === "PENDING")
      this.inFlight.push(this.gateway.charge(job.attempt, outcome));
    else if (this.state.status === "CANCELLED" && this.state.paymentStatus === "PENDING")
      this.apply({ type: "PaymentAbandoned", attempt: job.attempt });
  }

  runSecondCaptureRefunds(): void {
    for (const n of this.secondCaptureRefunds) this.gateway.refund(n);
    this.secondCaptureRefunds = [];
  }

  settle(): void {
    for (let round = 0; round < 60; round++) {
      for (const j of this.deliverAll()) this.runJob(j, "success");
      this.runSecondCaptureRefunds();
      if (this.state.paymentStatus === "ACTION_REQUIRED") this.apply({ type: "PaymentWindowExpired" });
      if (this.state.status === "PENDING" && this.inFlight.length === 0 && this.jobs.length === 0) this.apply({ type: "PendingTimeout" });
      if (this.inFlight.length === 0 && this.jobs.length === 0 && this.secondCaptureRefunds.length === 0) return;
    }
    throw new Error(`world never settled: ${JSON.stringify(this.state)}`);
  }
}

type Step =
  | SharedStep
  | { kind: "job"; pick: number; outcome: ChargeOutcome; keep: boolean }
  | { kind: "lateCapture"; pick: number }
  | { kind: "retry"; method: PaymentMethod }
  | { kind: "inventory" }
  | { kind: "expire" }
  | { kind: "refunds" };

const outcome = fc.constantFrom<ChargeOutcome>("success", "retryable", "declined", "declined");
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("deliver"), pick: fc.nat(), keepCopy: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("job"), pick: fc.nat(), outcome, keep: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lateCapture"), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("retry"), method: fc.constantFrom<PaymentMethod>("card", "upi", "wallet") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("inventory") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("timeout") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("refunds") }) },
);

function play(steps: readonly Step[]): World {
  const w = new World();
  for (const s of steps) {
    if (isSharedStep(s)) {
      playShared(w, s);
      continue;
    }
    switch (s.kind) {
      case "job": {
        // `keep`: the job runs again later (a re-run after expiry sends the same attempt's key).
        const j = take(w.jobs, s.pick, s.keep);
        if (j) w.runJob(j, s.outcome);
        break;
      }
      case "lateCapture": {
        const attempts = [...w.gateway.decided.keys()];
        const n = take(attempts, s.pick);
        const e = n === undefined ? null : w.gateway.captureLate(n);
        if (e) w.inFlight.push(e);
        break;
      }
      case "retry":
        w.apply({ type: "PaymentRetryRequested", method: s.method });
        break;
      case "inventory":
        w.inventoryAnswered = true;
        w.apply({ type: "InventoryReserved" });
        break;
      case "expire":
        w.apply({ type: "PaymentWindowExpired" });
        break;
      case "refunds":
        w.runSecondCaptureRefunds();
        break;
    }
  }
  return w;
}

const maxAttempts = ctx.maxPaymentAttempts * (1 + (ctx.maxCustomerAttempts ?? 0));

describe("payment attempts: properties (issue 14)", () => {
  it("captures per order ≤ 1 net of automatic refunds; attempts bounded; each outcome applied once; statuses agree", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 50 }), (steps) => {
        const w = play(steps);
        // At any moment: attempts bounded, numbered 1..n, each with its own key; at most one capturing attempt.
        expect(w.facts.attempts.length).toBeLessThanOrEqual(maxAttempts);
        expect(w.facts.attempts.map((a) => a.number)).toEqual(w.facts.attempts.map((_, i) => i + 1));
        expect(new Set(w.facts.attempts.map((a) => a.idempotencyKey)).size).toBe(w.facts.attempts.length);
        expect(w.facts.attempts.filter((a) => a.status === "SUCCEEDED").length).toBeLessThanOrEqual(1);
        expect(new Set(w.outcomesApplied).size).toBe(w.outcomesApplied.length);
        if (w.state.paymentStatus === "ACTION_REQUIRED") expect(w.state.status).toBe("PENDING");
        w.settle();
        expect(w.facts.attempts.length).toBeLessThanOrEqual(maxAttempts);
        expect(new Set(w.outcomesApplied).size).toBe(w.outcomesApplied.length);
        // Net of the automatic refunds, the gateway holds at most one capture — exactly one iff the order is live.
        expect(w.gateway.netCaptures).toBeLessThanOrEqual(1);
        expect(w.gateway.netCaptures === 1).toBe(w.state.status !== "CANCELLED");
        expect(w.state.status).not.toBe("PENDING");
        expect(w.state.paymentStatus).not.toBe("ACTION_REQUIRED");
        // Every capture the gateway made is known to the order: the capturing attempt or a refunded second one.
        for (const n of w.gateway.captured)
          expect(["SUCCEEDED", "REFUNDED"]).toContain(w.facts.attempts.find((a) => a.number === n)?.status);
      }),
      { numRuns: 6_000 },
    );
  }, 60_000);
});

function reserved(): World {
  const w = new World();
  w.inventoryAnswered = true;
  w.apply({ type: "InventoryReserved" });
  return w;
}

/** Runs the next job (a charge) with `outcome` and delivers its answer. */
function charge(w: World, outcome: ChargeOutcome): void {
  const job = w.jobs.shift();
  if (!job) throw new Error("no job");
  w.runJob(job, outcome);
  for (let e = w.inFlight.shift(); e; e = w.inFlight.shift()) w.apply(e);
}

describe("payment attempts: decision rows (docs/lifecycle.md)", () => {
  it("a final decline leaves the order PENDING, payment ACTION_REQUIRED, and publishes PaymentActionRequired", () => {
    const w = reserved();
    const job = w.jobs.shift() as FollowUp;
    w.runJob(job, "declined");
    const d = w.apply(w.inFlight.shift() as LifecycleEvent);
    expect(d).toMatchObject({ kind: "apply", emit: { type: "PaymentActionRequired" }, followUps: [] });
    expect(w.state).toMatchObject({ status: "PENDING", paymentStatus: "ACTION_REQUIRED", inventoryStatus: "RESERVED" });
    expect(w.facts.attempts).toMatchObject([
      { number: 1, method: "card", status: "FAILED", retryable: false, idempotencyKey: attemptKey(ORDER, 1) },
    ]);
  });

  it("a customer retry with another method starts attempt 2 with its own key; its success confirms", () => {
    const w = reserved();
    charge(w, "declined");
    const d = w.apply({ type: "PaymentRetryRequested", method: "upi" });
    expect(d).toMatchObject({
      kind: "apply",
      emit: { type: "PaymentAttemptStarted" },
      followUps: [{ type: "InitiatePayment", attempt: 2, method: "upi" }],
    });
    expect(w.facts.attempts[1]).toMatchObject({
      number: 2,
      method: "upi",
      origin: "customer",
      status: "STARTED",
      idempotencyKey: `${ORDER}:2`,
    });
    charge(w, "success");
    expect(w.state).toMatchObject({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" });
    expect(w.facts.attempts[1]?.status).toBe("SUCCEEDED");
  });

  it("automatic retries are attempts, counted per round: a customer retry gets its own retries with its method", () => {
    const w = reserved();
    charge(w, "retryable");
    charge(w, "retryable");
    charge(w, "retryable");
    expect(w.state.paymentStatus).toBe("ACTION_REQUIRED");
    expect(w.facts.attempts.map((a) => a.origin)).toEqual(["initial", "automatic", "automatic"]);
    w.apply({ type: "PaymentRetryRequested", method: "wallet" });
    charge(w, "retryable");
    expect(w.jobs).toEqual([{ type: "InitiatePayment", attempt: 5, method: "wallet" }]);
  });

  it("the window closing cancels with payment-failed (the stock is released by OrderCancelled); a retry afterwards is refused", () => {
    const w = reserved();
    charge(w, "declined");
    const d = w.apply({ type: "PaymentWindowExpired" });
    expect(d).toMatchObject({ kind: "apply", emit: { type: "OrderCancelled", reason: "payment-failed" } });
    expect(w.state).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
    expect(decide(w.state, { type: "PaymentRetryRequested", method: "upi" }, ctx, w.facts)).toMatchObject({ reason: "NO_ACTION_REQUIRED" });
  });

  it("no retry while nothing is required; none beyond maxCustomerAttempts", () => {
    const w = reserved();
    expect(w.apply({ type: "PaymentRetryRequested", method: "upi" })).toMatchObject({ kind: "skip", reason: "NO_ACTION_REQUIRED" });
    charge(w, "declined");
    w.apply({ type: "PaymentRetryRequested", method: "upi" });
    charge(w, "declined");
    w.apply({ type: "PaymentRetryRequested", method: "wallet" });
    charge(w, "declined");
    // The customer's attempts are spent: the last decline cancels at once.
    expect(w.state).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
  });

  it("a duplicate failure under another message id, and a late failure of an earlier attempt, change nothing", () => {
    const w = reserved();
    charge(w, "declined");
    w.apply({ type: "PaymentRetryRequested", method: "upi" });
    expect(decide(w.state, { type: "PaymentFailed", attempt: 1, reason: "declined", retryable: false }, ctx, w.facts)).toMatchObject({
      reason: "ALREADY_APPLIED",
    });
    const fresh = { ...w.facts, attempts: w.facts.attempts.map((a) => (a.number === 1 ? { ...a, status: "STARTED" as const } : a)) };
    expect(decide(w.state, { type: "PaymentFailed", attempt: 1, reason: "declined", retryable: false }, ctx, fresh)).toMatchObject({
      reason: "STALE_RESULT",
    });
  });

  it("a late success of an earlier attempt while action is required confirms (a capture is a fact)", () => {
    const w = reserved();
    charge(w, "declined");
    w.apply({ type: "PaymentSuccess", attempt: 1 });
    expect(w.state).toMatchObject({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" });
  });

  it("a second capture (a late success after a retry began and succeeded) is refunded automatically", () => {
    const w = reserved();
    charge(w, "retryable");
    charge(w, "success");
    expect(w.state.status).toBe("CONFIRMED");
    const late = w.gateway.captureLate(1) as LifecycleEvent;
    const d = w.apply(late);
    expect(d).toMatchObject({ kind: "apply", secondCapture: { attempt: 1 }, next: w.state });
    expect(w.facts.attempts.map((a) => a.status)).toEqual(["REFUNDED", "SUCCEEDED"]);
    expect(w.apply(late)).toMatchObject({ kind: "skip", reason: "ALREADY_APPLIED" });
    w.runSecondCaptureRefunds();
    expect(w.gateway.netCaptures).toBe(1);
  });

  it("a success after the window closed is refunded like any capture on a cancelled order", () => {
    const w = reserved();
    charge(w, "declined");
    w.apply({ type: "PaymentWindowExpired" });
    const d = w.apply({ type: "PaymentSuccess", attempt: 1 });
    expect(d).toMatchObject({ kind: "apply", followUps: [{ type: "RefundPayment" }] });
  });

  it("the PENDING deadline leaves a payment waiting for the customer to the window; a cancel closes it", () => {
    const w = reserved();
    charge(w, "declined");
    expect(w.apply({ type: "PendingTimeout" })).toMatchObject({ kind: "skip", reason: "STALE_RESULT" });
    w.apply({ type: "CancelRequested", reason: "user" });
    expect(w.state).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
  });

  it("a decline that overtook the reservation: the reservation holds the stock and starts nothing", () => {
    const w = new World();
    w.facts = { ...w.facts };
    w.apply({ type: "PaymentFailed", attempt: 1, reason: "declined", retryable: false });
    expect(w.state.paymentStatus).toBe("ACTION_REQUIRED");
    const d = w.apply({ type: "InventoryReserved" });
    expect(d).toMatchObject({ kind: "apply", followUps: [] });
    expect(w.state).toMatchObject({ status: "PENDING", inventoryStatus: "RESERVED", paymentStatus: "ACTION_REQUIRED" });
  });

  it("cash on delivery: confirmed on reservation without a charge, captured on delivery", () => {
    const w = new World();
    w.facts = { method: "cod", attempts: [] };
    const d = w.apply({ type: "InventoryReserved" });
    expect(d).toMatchObject({ kind: "apply", followUps: [], emit: { type: "OrderConfirmed" } });
    expect(w.state).toMatchObject({ status: "CONFIRMED", paymentStatus: "NOT_STARTED" });
    expect(decide(w.state, { type: "CancelRequested", reason: "probe" }, ctx, w.facts)).toMatchObject({ followUps: [] });
    w.apply({ type: "OrderShipped" });
    expect(w.apply({ type: "OrderDelivered" })).toMatchObject({ followUps: [{ type: "InitiatePayment", attempt: 1, collect: true }] });
    expect(w.state).toMatchObject({ status: "DELIVERED", paymentStatus: "PENDING" });
    w.apply({ type: "PaymentSuccess", attempt: 1 });
    expect(w.state).toMatchObject({ status: "DELIVERED", paymentStatus: "SUCCEEDED" });
    expect(w.facts.attempts).toMatchObject([{ number: 1, method: "cod", status: "SUCCEEDED" }]);
  });

  it("reconciliation's abandonment (attempt 0) closes the attempts still waiting, and never records an attempt 0", () => {
    const w = reserved();
    w.apply({ type: "CancelRequested", reason: "user" });
    w.apply({ type: "PaymentAbandoned", attempt: 0 });
    expect(w.facts.attempts).toMatchObject([{ number: 1, status: "ABANDONED" }]);
  });

  it("cash on delivery refused at the door: cancelled without a charge; duplicates, delivered and prepaid orders are skipped", () => {
    const cod: PaymentFacts = { method: "cod", attempts: [] };
    const shipped: OrderState = { status: "SHIPPED", inventoryStatus: "RESERVED", paymentStatus: "NOT_STARTED", deliveryStatus: "SHIPPED" };
    const refused = { type: "DeliveryRefused", reason: "refused" } as const;
    const d = decide(shipped, refused, ctx, cod);
    expect(d).toMatchObject({ kind: "apply", emit: null, followUps: [], next: { status: "CANCELLED", inventoryStatus: "RELEASED" } });
    if (d.kind === "apply") expect(decide(d.next, refused, ctx, cod)).toMatchObject({ reason: "ALREADY_APPLIED" });
    expect(decide({ ...shipped, status: "DELIVERED", deliveryStatus: "DELIVERED" }, refused, ctx, cod)).toMatchObject({
      reason: "STALE_RESULT",
    });
    expect(decide({ ...shipped, paymentStatus: "SUCCEEDED" }, refused, ctx, { method: "card", attempts: [] })).toMatchObject({
      reason: "ILLEGAL_TRANSITION",
    });
  });

  it("a return of a delivered cash-on-delivery order waits for its capture (it would refund nothing before)", () => {
    const line = { productId: "abc", unitPrice: "15.00" as Money, ordered: 2, cancelled: 0, shipped: 2, delivered: 2 };
    const state: AdjustmentState = {
      orderId: ORDER,
      status: "DELIVERED",
      deliveredAt: "2026-01-01T00:00:00.000Z",
      lines: [{ ...line, returnRequested: 0, received: 0, damaged: 0, restocked: 0 }],
      ledger: [],
      returns: [],
      causes: [],
    };
    const ret = {
      type: "RequestReturn",
      id: "r1",
      returnId: "0190b3c4-0000-7000-8000-0000000000aa",
      lines: [{ productId: "abc", quantity: 1 }],
      reason: "x",
      at: "2026-01-02T00:00:00.000Z",
    } as const;
    expect(decideAdjustment(state, ret, DEFAULT_REFUND_POLICY)).toMatchObject({ kind: "skip", reason: "NOT_RETURNABLE" });
    const paid = { ...state, ledger: [{ kind: "CAPTURE" as const, amount: AMOUNT, reason: "cod", cause: "c", refundId: null }] };
    expect(decideAdjustment(paid, ret, DEFAULT_REFUND_POLICY)).toMatchObject({ kind: "apply" });
    expect(decideAdjustment(state, { ...ret, uncharged: true }, DEFAULT_REFUND_POLICY)).toMatchObject({ kind: "apply" });
  });

  it("without the window configured a final decline cancels at once, as before issue 14", () => {
    const d = decide(
      { ...INITIAL_ORDER_STATE, inventoryStatus: "RESERVED", paymentStatus: "PENDING" },
      { type: "PaymentFailed", attempt: 1, reason: "declined", retryable: false },
      { maxPaymentAttempts: 3 },
      { method: "card", attempts: [] },
    );
    expect(d).toMatchObject({ kind: "apply", emit: { type: "OrderCancelled", reason: "payment-failed" } });
  });
});
