import { getOrderForPayment, type Pool } from "@orders/db";
import type { Logger } from "@orders/runtime";
import type { PaymentClient } from "./payment-client.ts";
import type { InitiatePaymentJob, RefundPaymentJob } from "./queues.ts";

export interface PaymentJobDeps {
  readonly pool: Pool;
  readonly payments: PaymentClient;
  readonly logger: Logger;
}

export type JobResult = "charged" | "refunded" | "skipped";

/**
 * PaymentInitiator: asks the Payment service to charge one attempt. A throw fails the job and
 * pg-boss retries it later; the payment's result comes back on Kafka, not here.
 */
export async function initiatePayment(deps: PaymentJobDeps, job: InitiatePaymentJob): Promise<JobResult> {
  const order = await getOrderForPayment(deps.pool, job.orderId);
  // Cancelled meanwhile (user, timeout): charging now would only lead to a refund.
  if (!order || order.status !== "PENDING" || order.paymentStatus !== "PENDING") {
    deps.logger.info("payment not started", { orderId: job.orderId, attempt: job.attempt, status: order?.status ?? "missing" });
    return "skipped";
  }
  await deps.payments.charge({
    orderId: order.id,
    attempt: job.attempt,
    amount: order.totalAmount,
    currency: order.currency,
    method: order.paymentMethod,
    userId: order.userId,
  });
  return "charged";
}

/** Compensation: gives a captured payment back (the service answers PaymentRefunded). */
export async function refundPayment(deps: PaymentJobDeps, job: RefundPaymentJob): Promise<JobResult> {
  const order = await getOrderForPayment(deps.pool, job.orderId);
  if (!order || order.paymentStatus !== "SUCCEEDED") return "skipped";
  await deps.payments.refund({ orderId: order.id, amount: order.totalAmount });
  return "refunded";
}
