import { getOrderForPayment, type Pool, TRANSACTION_RETRIES, withTransaction } from "@orders/db";
import { attemptKey } from "@orders/domain";
import type { Logger } from "@orders/runtime";
import { type ApplyOptions, applyEvents } from "../apply-events.ts";
import type { InitiatePaymentJob, RefundPaymentJob } from "../follow-ups.ts";
import type { PaymentClient } from "./payment-client.ts";

export interface PaymentJobDeps {
  readonly pool: Pool;
  readonly payments: PaymentClient;
  readonly logger: Logger;
  /** How lifecycle events are applied (the same options as the consumer and the deadline sweep). */
  readonly apply: Omit<ApplyOptions, "consumer">;
}

export type JobResult = "charged" | "refunded" | "skipped" | "abandoned";

/** processed_messages name of the PaymentInitiator; its message id is `payment-abandoned:<order>:<attempt>`. */
export const PAYMENT_INITIATOR_CONSUMER = "payment-initiator";

/**
 * PaymentInitiator: asks the Payment service to charge one attempt. A throw fails the job and
 * pg-boss retries it later; the payment's result comes back on Kafka, not here.
 *
 * An order cancelled while its payment waits for this job is not charged (it would only be
 * refunded), and its payment is closed at once as FAILED ("payment not attempted") through the
 * decision table, without asking the service. That is safe whatever else is running: another run
 * of this job (paused, expired, re-run) may still send its charge — nothing can fence a paused
 * process off — but a capture is a fact, not a stale result: its PaymentSuccess on a closed payment
 * records the capture and starts the refund (docs/lifecycle.md). Asking the service first was a
 * check-then-act across two runs, and made closing the payment depend on the service being up.
 */
export async function initiatePayment(
  deps: PaymentJobDeps,
  job: InitiatePaymentJob,
  run: { readonly previousRuns: number } = { previousRuns: 0 },
): Promise<JobResult> {
  const order = await getOrderForPayment(deps.pool, job.orderId);
  // Cash on delivery is captured once delivered (issue 14): the order is no longer PENDING then.
  const codCollection = order?.paymentMethod === "cod" && order.status === "DELIVERED" && order.paymentStatus === "PENDING";
  if (!order || (!codCollection && (order.status !== "PENDING" || order.paymentStatus !== "PENDING"))) {
    if (order?.status === "CANCELLED" && order.paymentStatus === "PENDING") {
      const [outcome] = await withTransaction(
        deps.pool,
        (client) =>
          applyEvents(
            client,
            [
              {
                orderId: order.id,
                messageId: `payment-abandoned:${order.id}:${job.attempt}`,
                event: { type: "PaymentAbandoned", attempt: job.attempt },
              },
            ],
            { ...deps.apply, consumer: PAYMENT_INITIATOR_CONSUMER },
          ),
        { retries: TRANSACTION_RETRIES },
      );
      deps.logger.info("payment abandoned: order cancelled", { orderId: job.orderId, attempt: job.attempt, outcome: outcome?.kind });
      return "abandoned";
    }
    const status = order?.status ?? "missing";
    deps.logger.info("payment not started", { orderId: job.orderId, attempt: job.attempt, status, runs: run.previousRuns + 1 });
    return "skipped";
  }
  // Each attempt is its own payment at the service (issue 14): order id + attempt number is the
  // key, so a re-run of this job is the same charge and another attempt never is.
  await deps.payments.charge({
    orderId: order.id,
    attempt: job.attempt,
    idempotencyKey: attemptKey(order.id, job.attempt),
    amount: order.totalAmount,
    currency: order.currency,
    method: job.method ?? order.paymentMethod,
    userId: order.userId,
  });
  return "charged";
}

/**
 * Compensation: gives (part of) a captured payment back (the service answers PaymentRefunded with
 * the refund id). The ledger's refund id is the service's idempotency key, so a retried job never
 * refunds twice; jobs queued before issue 13 carry none and refund the whole capture.
 */
export async function refundPayment(deps: PaymentJobDeps, job: RefundPaymentJob): Promise<JobResult> {
  const order = await getOrderForPayment(deps.pool, job.orderId);
  // A refund with the ledger's id is owed whatever the payment status says now (a second capture
  // on an order already refunded, issue 14); the id keeps it idempotent at the service.
  if (!order || (order.paymentStatus !== "SUCCEEDED" && job.refundId === undefined)) return "skipped";
  const refundId = job.refundId ?? `refund:${order.id}`;
  await deps.payments.refund({ orderId: order.id, amount: job.amount ?? order.totalAmount, refundId });
  return "refunded";
}
