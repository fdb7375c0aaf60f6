import type { FollowUp } from "@orders/domain";
import type pg from "pg";
import type { PgBoss } from "pg-boss";

/** pg-boss queues of the saga (created at start-up by every process that sends or works them). */
export const QUEUES = {
  initiatePayment: "payment-initiate",
  refundPayment: "payment-refund",
  pendingDeadline: "pending-deadline",
  reconcilePayments: "payment-reconcile",
  paymentActionExpiry: "payment-action-expiry",
  /** Cash on delivery captured after delivery (issue 14): the PaymentInitiator with a refund's patience. */
  collectPayment: "payment-collect",
  processedMessagesRetention: "processed-messages-retention",
} as const;

export interface InitiatePaymentJob {
  readonly orderId: string;
  readonly attempt: number;
  readonly causedBy: string;
  /** The attempt's method when not the order's (a customer retry, issue 14); absent: the order's. */
  readonly method?: string;
}

export interface RefundPaymentJob {
  readonly orderId: string;
  readonly causedBy: string;
  /** The ledger's refund id (the payment service's idempotency key) and amount; absent on jobs queued before issue 13. */
  readonly refundId?: string;
  readonly amount?: string;
}

/** The queue a follow-up goes to and the job data it carries. */
export function jobFor(
  orderId: string,
  followUp: FollowUp,
  causedBy: string,
): { queue: string; data: InitiatePaymentJob | RefundPaymentJob } {
  switch (followUp.type) {
    case "InitiatePayment":
      return {
        queue: followUp.collect ? QUEUES.collectPayment : QUEUES.initiatePayment,
        data: followUp.method
          ? { orderId, attempt: followUp.attempt, causedBy, method: followUp.method }
          : { orderId, attempt: followUp.attempt, causedBy },
      };
    case "RefundPayment":
      return {
        queue: QUEUES.refundPayment,
        data:
          followUp.refundId && followUp.amount
            ? { orderId, causedBy, refundId: followUp.refundId, amount: followUp.amount }
            : { orderId, causedBy },
      };
  }
}

/** Where follow-up jobs go: pg-boss' `insert` (a started PgBoss; tests pass a recorder). */
export type JobQueue = Pick<PgBoss, "insert">;

/** A follow-up a decision asked for, with the message whose application asked for it. */
export interface FollowUpRequest {
  readonly orderId: string;
  readonly followUp: FollowUp;
  readonly causedBy: string;
}

/** pg-boss statements run on the caller's connection, i.e. inside its transaction. */
const onClient = (client: pg.PoolClient) => ({
  executeSql: async (text: string, values?: unknown[]) => {
    const { rows } = await client.query(text, values);
    return { rows };
  },
});

/**
 * One pg-boss insert per queue on `client`, inside the caller's transaction: a job exists if
 * and only if the state change that asked for it committed.
 */
export async function insertFollowUps(jobs: JobQueue, client: pg.PoolClient, requests: readonly FollowUpRequest[]): Promise<void> {
  const byQueue = new Map<string, { data: object }[]>();
  for (const r of requests) {
    const { queue, data } = jobFor(r.orderId, r.followUp, r.causedBy);
    const list = byQueue.get(queue) ?? [];
    list.push({ data });
    byQueue.set(queue, list);
  }
  for (const [queue, list] of byQueue) await jobs.insert(queue, list, { db: onClient(client) });
}
