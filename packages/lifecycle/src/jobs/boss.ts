import { type PgBoss, type QueueSpec, startJobQueue } from "@orders/runtime/job-queue";
import { QUEUES } from "../follow-ups.ts";

export interface SagaBossOptions {
  readonly connectionString: string;
  /** Connections pg-boss may hold (its own pool). */
  readonly max?: number;
  /** Job-level retries after the HTTP policy has given up (pg-boss retry with backoff). */
  readonly retryLimit?: number;
  readonly retryDelaySeconds?: number;
  /** false for processes that only send (the API): no maintenance, no cron. */
  readonly supervise?: boolean;
  readonly schedule?: boolean;
  /**
   * How long a payment/refund job may stay active before pg-boss hands it to another worker.
   * A worker killed mid-job holds its jobs until then; pg-boss' default (15 min) would leave a
   * cancelled order's payment PENDING that long. Each run is bounded by the HTTP policy (a few
   * seconds), and a run after expiry is safe: charges are idempotent by order id and attempt.
   */
  readonly jobExpireSeconds?: number;
  readonly superviseIntervalSeconds?: number;
  readonly cronCheckSeconds?: number;
  /** `idle_in_transaction_session_timeout` of pg-boss' own connections. */
  readonly idleInTransactionTimeoutMs?: number;
}

/** The saga's queues with their retry policies. */
export function sagaQueues(options: Pick<SagaBossOptions, "retryLimit" | "retryDelaySeconds" | "jobExpireSeconds"> = {}): QueueSpec[] {
  const retry = {
    retryLimit: options.retryLimit ?? 5,
    retryDelay: options.retryDelaySeconds ?? 1,
    retryBackoff: true,
    retryDelayMax: 60,
    expireInSeconds: options.jobExpireSeconds ?? 60,
  };
  return [
    { name: QUEUES.initiatePayment, options: retry },
    // A refund is money owed: its job keeps trying through any outage (backoff capped at 5 min,
    // ~3 h in all) instead of giving up after a minute of an open breaker. Reconciliation asks
    // again beyond that (REFUND_OUTSTANDING).
    { name: QUEUES.refundPayment, options: { ...retry, retryLimit: Math.max(retry.retryLimit, 40), retryDelayMax: 300 } },
    // Collecting cash on delivery is money owed to us with nothing else to start it again (issue 14).
    { name: QUEUES.collectPayment, options: { ...retry, retryLimit: Math.max(retry.retryLimit, 40), retryDelayMax: 300 } },
    // One run of each chore at a time is enough; a missed one is made up by the next. A singleton
    // queue is blocked while its job is active, so a worker killed or frozen mid-run must not hold
    // it for pg-boss' default 15 minutes (the 10 000-order soak: orders left PENDING past the
    // deadline, reconciliation idle): each expires a little beyond its longest honest run.
    { name: QUEUES.pendingDeadline, options: { retryLimit: 0, policy: "singleton", expireInSeconds: 60 } },
    { name: QUEUES.paymentActionExpiry, options: { retryLimit: 0, policy: "singleton", expireInSeconds: 60 } },
    { name: QUEUES.reconcilePayments, options: { retryLimit: 0, policy: "singleton", expireInSeconds: 300 } },
    { name: QUEUES.processedMessagesRetention, options: { retryLimit: 0, policy: "singleton", expireInSeconds: 600 } },
  ];
}

/** pg-boss with the saga's queues: what every process that sends or works saga jobs starts. */
export function startSagaBoss(options: SagaBossOptions): Promise<PgBoss> {
  const { retryLimit, retryDelaySeconds, jobExpireSeconds, max, ...rest } = options;
  return startJobQueue({
    ...rest,
    applicationName: "order-service-jobs",
    max: max ?? 4,
    queues: sagaQueues({ retryLimit, retryDelaySeconds, jobExpireSeconds }),
  });
}

export type { PgBoss };
