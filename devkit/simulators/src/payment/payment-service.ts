import { answerRecord, type ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import { between, scenarioOf } from "../kafka-side/scenario.ts";

export interface PaymentServiceOptions {
  readonly emitter: ChaosEmitter;
  /** Share of attempts that fail. */
  readonly failureRate: number;
  /** Of those, the share that is retryable (gateway trouble) rather than final (declined). */
  readonly retryableShare: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly random?: () => number;
}

export interface ChargeInput {
  readonly orderId: string;
  readonly attempt: number;
  readonly amount: string;
  readonly currency: string;
  readonly userId?: string | undefined;
  /** card | upi | netbanking | wallet | cod (issue 14: outcomes may depend on it). */
  readonly method?: string | undefined;
}

type Outcome = { readonly kind: "success" } | { readonly kind: "failed"; readonly retryable: boolean; readonly reason: string };

interface PaymentRecord {
  readonly paymentId: string;
  readonly amount: string;
  readonly attempts: Map<number, Outcome>;
  /** Attempts that captured, in order (issue 14: each attempt is its own payment, keyed order id + attempt). */
  readonly captures: number[];
  captured: boolean;
  /** Everything captured has been given back. */
  refunded: boolean;
  /** Refund id (the caller's Idempotency-Key) → amount in cents. */
  readonly refunds: Map<string, number>;
}

/** "12.34" → 1234: 2-dp decimal strings as exact integer cents (no floats). */
const cents = (amount: string): number => {
  const [int = "0", frac = ""] = amount.split(".");
  return Number(int) * 100 + Number(frac.padEnd(2, "0").slice(0, 2));
};
const decimal = (c: number): string => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`;
const refundedCents = (p: PaymentRecord): number => [...p.refunds.values()].reduce((a, b) => a + b, 0);
/** Every capture of every attempt (a second capture doubles it until refunded). */
const capturedCents = (p: PaymentRecord): number => p.captures.length * cents(p.amount);

export type RefundResult =
  | { readonly kind: "accepted"; readonly refundId: string; readonly amount: string }
  | { readonly kind: "not-captured" }
  | { readonly kind: "over-refund"; readonly remaining: string };

export const PAYMENT_SOURCE = "/simulators/payment";

/**
 * The simulated Payment service. The order id is the idempotency key of a payment: one
 * payment per order, captured at most once; a repeated charge for an attempt already decided
 * re-sends that attempt's result (same message id) instead of deciding again; a charge after
 * the capture re-sends the success. Refunds are idempotent the same way.
 */
export class PaymentService {
  readonly #o: PaymentServiceOptions;
  readonly #random: () => number;
  readonly #payments = new Map<string, PaymentRecord>();
  readonly #timers = new Set<NodeJS.Timeout>();
  stats = { charges: 0, replays: 0, captured: 0, failed: 0, refunds: 0 };

  constructor(options: PaymentServiceOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  charge(input: ChargeInput): { paymentId: string; replayed: boolean } {
    this.stats.charges++;
    let p = this.#payments.get(input.orderId);
    if (!p) {
      p = {
        paymentId: `pay_${input.orderId}`,
        amount: input.amount,
        attempts: new Map(),
        captures: [],
        captured: false,
        refunded: false,
        refunds: new Map(),
      };
      this.#payments.set(input.orderId, p);
    }
    // Each attempt is decided once and replayed after (same answer, same message id); another
    // attempt is another payment and may capture again — the order service refunds a second capture.
    const known = p.attempts.get(input.attempt);
    const outcome = known ?? this.#decide(input);
    if (known) this.stats.replays++;
    else {
      p.attempts.set(input.attempt, outcome);
      if (outcome.kind === "success") {
        p.captured = true;
        p.captures.push(input.attempt);
        this.stats.captured++;
      } else this.stats.failed++;
    }
    const attempt = input.attempt;
    // The first capture keeps its historical message id; a second capture is a fact of its own.
    const successId = p.captures[0] === attempt ? `pay:${input.orderId}:success` : `pay:${input.orderId}:${attempt}:success`;
    const record =
      outcome.kind === "success"
        ? answerRecord(PAYMENT_SOURCE, "PaymentSuccess", successId, input.orderId, {
            paymentId: p.paymentId,
            amount: p.amount,
            attempt,
          })
        : answerRecord(PAYMENT_SOURCE, "PaymentFailed", `pay:${input.orderId}:${input.attempt}:failed`, input.orderId, {
            reason: outcome.reason,
            retryable: outcome.retryable,
            attempt: input.attempt,
          });
    this.#later(() => this.#o.emitter.emit(record));
    return { paymentId: p.paymentId, replayed: known !== undefined };
  }

  /**
   * Gives `amount` (default: all that is left) of a captured payment back under `refundId` (the
   * caller's Idempotency-Key): the same refund id again re-sends the same answer; a refund larger
   * than what is left is refused (over-refund). `refund:<order id>` is the whole remainder's key
   * and keeps its historical message id.
   */
  refund(orderId: string, refundId: string = `refund:${orderId}`, amount?: string): RefundResult {
    const p = this.#payments.get(orderId);
    if (!p?.captured) return { kind: "not-captured" };
    let given = p.refunds.get(refundId);
    if (given === undefined) {
      const remaining = capturedCents(p) - refundedCents(p);
      const asked = amount === undefined ? remaining : cents(amount);
      if (asked > remaining || asked <= 0) return { kind: "over-refund", remaining: decimal(remaining) };
      given = asked;
      p.refunds.set(refundId, given);
      p.refunded = refundedCents(p) === capturedCents(p);
      this.stats.refunds++;
    }
    const messageId = refundId === `refund:${orderId}` ? `pay:${orderId}:refunded` : `pay:${orderId}:${refundId}`;
    const answer = { paymentId: p.paymentId, amount: decimal(given), refundId };
    this.#later(() => this.#o.emitter.emit(answerRecord(PAYMENT_SOURCE, "PaymentRefunded", messageId, orderId, answer)));
    return { kind: "accepted", refundId, amount: decimal(given) };
  }

  /** What the service holds for an order (GET /payments/:orderId), or null when it never saw a charge. */
  lookup(orderId: string): {
    paymentId: string;
    attempts: number[];
    captured: boolean;
    refunded: boolean;
    refundedAmount: string;
    refunds: { refundId: string; amount: string }[];
  } | null {
    const p = this.#payments.get(orderId);
    if (!p) return null;
    return {
      paymentId: p.paymentId,
      attempts: [...p.attempts.keys()].sort((a, b) => a - b),
      captured: p.captured,
      refunded: p.refunded,
      refundedAmount: decimal(refundedCents(p)),
      refunds: [...p.refunds].map(([refundId, c]) => ({ refundId, amount: decimal(c) })),
    };
  }

  /**
   * Per order: captured and refunded flags, amounts and refunds (the demo checker compares them
   * with the database's ledger). `refunded` = everything captured was given back.
   */
  ledger(): {
    orderId: string;
    captured: boolean;
    refunded: boolean;
    attempts: number;
    capturedAmount: string;
    captures: number;
    refundedAmount: string;
    refunds: number;
  }[] {
    return [...this.#payments].map(([orderId, p]) => ({
      orderId,
      captured: p.captured,
      refunded: p.refunded,
      attempts: p.attempts.size,
      capturedAmount: decimal(capturedCents(p)),
      captures: p.captures.length,
      refundedAmount: decimal(refundedCents(p)),
      refunds: p.refunds.size,
    }));
  }

  #decide(input: ChargeInput): Outcome {
    // Cash on delivery is charged once the courier collected it: the cash is there.
    if (input.method === "cod") return { kind: "success" };
    switch (scenarioOf(input.userId)) {
      case "pay-card-decline":
        // A card that is declined for good; any other method succeeds (issue 14's customer retry).
        return input.method === "card" ? { kind: "failed", retryable: false, reason: "card declined" } : { kind: "success" };
      case "pay-decline":
        return { kind: "failed", retryable: false, reason: "card declined" };
      case "pay-flaky":
        return { kind: "failed", retryable: true, reason: "gateway timeout" };
      case "pay-retry":
        return input.attempt === 1 ? { kind: "failed", retryable: true, reason: "gateway timeout" } : { kind: "success" };
      case null:
        break;
      default:
        return { kind: "success" };
    }
    if (this.#random() >= this.#o.failureRate) return { kind: "success" };
    return this.#random() < this.#o.retryableShare
      ? { kind: "failed", retryable: true, reason: "gateway timeout" }
      : { kind: "failed", retryable: false, reason: "card declined" };
  }

  #later(fn: () => void): void {
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        fn();
      },
      between(this.#o.minDelayMs, this.#o.maxDelayMs, this.#random),
    );
    this.#timers.add(t);
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
