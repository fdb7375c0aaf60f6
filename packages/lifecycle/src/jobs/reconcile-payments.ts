import {
  getRefundRequestAmount,
  markPaymentChecked,
  outstandingRefundsBefore,
  type PaymentReconcileCandidate,
  paymentReconcileCandidates,
  TRANSACTION_RETRIES,
  withTransaction,
} from "@orders/db";
import {
  type Money,
  PAYMENT_SERVICE_UNREACHABLE,
  type PaymentMismatch,
  type PaymentRepair,
  type PaymentServiceAnswer,
  reconcilePayment,
  reconcileRefund,
} from "@orders/domain";
import { applyEvents } from "../apply-events.ts";
import type { PaymentJobDeps } from "./payment-jobs.ts";

/** processed_messages name of reconciliation; its message ids are `reconcile:<order>:<event type>`. */
export const RECONCILE_CONSUMER = "payment-reconciliation";

export interface ReconcileOptions {
  /** Orders changed more recently than this are left alone: their result is probably in flight. */
  readonly minAgeMs: number;
  /**
   * A cancelled order's payment left PENDING longer than this is abandoned even when the payment
   * service cannot be asked (a capture that shows up later is refunded by the decision table).
   */
  readonly pendingBoundMs: number;
  /** Cancelled orders whose payment FAILED are asked about only if they changed within this. */
  readonly lookbackMs: number;
  /** Orders looked at per run. */
  readonly limit?: number;
  /** Report what would be done, change nothing (neither the database nor the service). */
  readonly dryRun?: boolean;
  readonly now?: () => Date;
  /** Called after each order is looked at (CLI progress). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The same as a payment job's: the pool, the payment service, and how events are applied. */
export type ReconcileDeps = PaymentJobDeps;

export type RepairResult = "repaired" | "would-repair" | "reported" | "failed";

export interface ReconcileFinding {
  readonly orderId: string;
  readonly status: string;
  readonly paymentStatus: string;
  /** What the service said: captured/refunded flags, `none` (never charged) or `unreachable`. */
  readonly service: string;
  readonly mismatch: PaymentMismatch;
  readonly repair: string;
  readonly result: RepairResult;
  readonly detail?: string;
}

export interface ReconcileReport {
  readonly checked: number;
  readonly unreachable: number;
  readonly findings: readonly ReconcileFinding[];
}

const describeAnswer = (answer: PaymentServiceAnswer): string =>
  answer === PAYMENT_SERVICE_UNREACHABLE
    ? "unreachable"
    : answer === null
      ? "none"
      : `attempts=${answer.attempts.join(",") || "-"} captured=${answer.captured} refunded=${answer.refunded}`;

const describeRepair = (repair: PaymentRepair): string =>
  repair.kind === "apply" ? `apply ${repair.event.type}` : repair.kind === "refund" ? "ask for the refund again" : "report only";

/**
 * Payment reconciliation (docs/lifecycle.md): compares every order whose payment is not final, and
 * every cancelled order whose payment is not REFUNDED, with the payment service's own record, and
 * repairs a disagreement through the decision table (`applyEvents`, as if the service's record had
 * arrived on `payments`) — never by writing statuses itself. Safe to run concurrently and
 * repeatedly: each repair is a message id applied once, and decide() skips what no longer fits.
 */
export async function reconcilePayments(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const now = (options.now?.() ?? new Date()).getTime();
  const candidates = await paymentReconcileCandidates(deps.pool, {
    changedBefore: new Date(now - options.minAgeMs),
    changedAfter: new Date(now - options.lookbackMs),
    limit: options.limit ?? 500,
  });
  const findings: ReconcileFinding[] = [];
  const confirmedUncharged: string[] = [];
  let unreachable = 0;
  let done = 0;
  for (const order of candidates) {
    const answer = await ask(deps, order.id);
    if (answer === PAYMENT_SERVICE_UNREACHABLE) unreachable++;
    const verdict = reconcilePayment(order.state, answer, { pendingPastBound: now - order.updatedAt.getTime() > options.pendingBoundMs });
    if (!verdict) {
      // A cancelled order closed as FAILED that the service never charged: settled for good.
      if (answer !== PAYMENT_SERVICE_UNREACHABLE && order.state.paymentStatus === "FAILED") confirmedUncharged.push(order.id);
    } else {
      findings.push(await repair(deps, order, answer, verdict.mismatch, verdict.repair, options.dryRun ?? false));
    }
    options.onProgress?.(++done, candidates.length);
  }
  if (!options.dryRun) await markPaymentChecked(deps.pool, confirmedUncharged);
  const refunds = await reconcileOutstandingRefunds(deps, new Date(now - options.minAgeMs), options);
  return {
    checked: candidates.length + refunds.checked,
    unreachable: unreachable + refunds.unreachable,
    findings: [...findings, ...refunds.findings],
  };
}

/**
 * Partial refunds (issue 13) the ledger requested and never saw settled: a refund job that ran out
 * of retries is asked again under the same refund id (idempotent at the service); a settlement
 * whose PaymentRefunded was lost is applied through the one writer.
 */
async function reconcileOutstandingRefunds(deps: ReconcileDeps, before: Date, options: ReconcileOptions): Promise<ReconcileReport> {
  const outstanding = await outstandingRefundsBefore(deps.pool, before, options.limit ?? 500);
  const findings: ReconcileFinding[] = [];
  let unreachable = 0;
  const answers = new Map<string, PaymentServiceAnswer>();
  for (const r of outstanding) {
    const answer = answers.get(r.orderId) ?? (await ask(deps, r.orderId));
    answers.set(r.orderId, answer);
    if (answer === PAYMENT_SERVICE_UNREACHABLE) unreachable++;
    const verdict = reconcileRefund(r, answer === PAYMENT_SERVICE_UNREACHABLE ? answer : (answer?.refunds ?? []));
    if (!verdict) continue;
    const base = {
      orderId: r.orderId,
      status: r.status,
      paymentStatus: r.paymentStatus,
      service: `${describeAnswer(answer)} refund=${r.refundId}`,
      mismatch: verdict.mismatch,
      repair: verdict.repair.kind === "refund" ? "ask for the refund again" : "apply RefundSettled",
    };
    if (options.dryRun) {
      findings.push({ ...base, result: "would-repair" });
      continue;
    }
    try {
      if (verdict.repair.kind === "refund") {
        await deps.payments.refund({ orderId: r.orderId, refundId: r.refundId, amount: r.amount });
      } else {
        const id = `reconcile:${r.orderId}:${r.refundId}:settled`;
        const amount = verdict.repair.amount as Money;
        const [outcome] = await withTransaction(
          deps.pool,
          (client) =>
            applyEvents(
              client,
              [
                {
                  orderId: r.orderId,
                  messageId: id,
                  event: { type: "Adjust", command: { type: "RefundSettled", id, refundId: r.refundId, amount } },
                },
              ],
              {
                ...deps.apply,
                consumer: RECONCILE_CONSUMER,
              },
            ),
          { retries: TRANSACTION_RETRIES },
        );
        if (outcome?.kind === "skipped") throw new Error(`${outcome.reason}: ${outcome.note}`);
      }
      findings.push({ ...base, result: "repaired" });
    } catch (error) {
      deps.logger.warn("refund reconciliation repair failed", { orderId: r.orderId, refundId: r.refundId, err: error });
      findings.push({ ...base, result: "failed", detail: (error as Error).message });
    }
  }
  return { checked: outstanding.length, unreachable, findings };
}

async function ask(deps: ReconcileDeps, orderId: string): Promise<PaymentServiceAnswer> {
  try {
    return await deps.payments.lookup(orderId);
  } catch (error) {
    deps.logger.warn("reconciliation could not ask the payment service", { orderId, err: error });
    return PAYMENT_SERVICE_UNREACHABLE;
  }
}

async function repair(
  deps: ReconcileDeps,
  order: PaymentReconcileCandidate,
  answer: PaymentServiceAnswer,
  mismatch: PaymentMismatch,
  plan: PaymentRepair,
  dryRun: boolean,
): Promise<ReconcileFinding> {
  const base = {
    orderId: order.id,
    status: order.state.status,
    paymentStatus: order.state.paymentStatus,
    service: describeAnswer(answer),
    mismatch,
    repair: describeRepair(plan),
  };
  if (plan.kind === "report") {
    deps.logger.error("payment mismatch needs a human", base);
    return { ...base, result: "reported" };
  }
  if (dryRun) return { ...base, result: "would-repair" };
  try {
    if (plan.kind === "refund") {
      // The whole remainder's refund, as the ledger requested it (partial refunds went before it).
      const refundId = `refund:${order.id}`;
      const amount = (await getRefundRequestAmount(deps.pool, order.id, refundId)) ?? order.totalAmount;
      await deps.payments.refund({ orderId: order.id, amount, refundId });
    } else {
      const [outcome] = await withTransaction(
        deps.pool,
        (client) =>
          applyEvents(client, [{ orderId: order.id, messageId: `reconcile:${order.id}:${plan.event.type}`, event: plan.event }], {
            ...deps.apply,
            consumer: RECONCILE_CONSUMER,
          }),
        { retries: TRANSACTION_RETRIES },
      );
      if (outcome?.kind !== "applied") {
        // Someone else moved the order meanwhile (the real result arrived): nothing to repair.
        return { ...base, result: "repaired", detail: `already settled (${outcome?.kind ?? "no outcome"})` };
      }
    }
    deps.logger.warn("payment mismatch repaired", base);
    return { ...base, result: "repaired" };
  } catch (error) {
    deps.logger.warn("payment repair failed; the next run tries again", { ...base, err: error });
    return { ...base, result: "failed", detail: (error as Error).message };
  }
}
