import type { Pool } from "@orders/db";
import { AppError } from "@orders/domain";
import type { Logger } from "@orders/runtime";
import type { Job, JobWithMetadata, PgBoss } from "pg-boss";
import { type InitiatePaymentJob, QUEUES, type RefundPaymentJob } from "../follow-ups.ts";
import { inJobSpan } from "./job-span.ts";
import { sweepPaymentActionExpiry } from "./payment-action-expiry.ts";
import type { PaymentClient } from "./payment-client.ts";
import { initiatePayment, refundPayment } from "./payment-jobs.ts";
import { type DeadlineSweepOptions, deadlineSweepIntervalMs, startDeadlineTicker, sweepPendingDeadline } from "./pending-deadline.ts";
import { type ProcessedMessagesRetentionOptions, pruneProcessedMessages } from "./processed-messages-retention.ts";
import { type ReconcileOptions, type ReconcileReport, reconcilePayments } from "./reconcile-payments.ts";

export interface SagaWorkerOptions {
  readonly pool: Pool;
  readonly payments: PaymentClient;
  readonly logger: Logger;
  /** Jobs fetched per poll and handled concurrently. */
  readonly batchSize?: number;
  readonly pollingIntervalSeconds?: number;
  readonly deadline: DeadlineSweepOptions;
  /** Cron of the PENDING-deadline sweep (pg-boss schedule, once across all instances): the backstop; pg-boss runs it at most once a minute. */
  readonly deadlineCron?: string;
  /** Sweep period of the in-process ticker (default deadlineSweepIntervalMs(deadlineMs): ¼ of the deadline, 1–15 s). */
  readonly deadlineSweepEveryMs?: number;
  /** The action-required window (issue 14): its expiry sweep runs like the deadline's; absent or 0: off. */
  readonly paymentActionWindowMs?: number;
  /** Observers for metrics. */
  readonly onJob?: (queue: string, outcome: string, seconds: number) => void;
  /** Payment reconciliation (pg-boss schedule, one run at a time across all instances). */
  readonly reconcile?: {
    readonly cron: string;
    readonly options: Omit<ReconcileOptions, "dryRun" | "onProgress">;
    readonly onReport?: (report: ReconcileReport) => void;
  };
  /** Retention of processed_messages (pg-boss schedule, one run at a time across all instances). */
  readonly processedMessagesRetention?: ProcessedMessagesRetentionOptions & { readonly cron: string };
}

/** Registers the PaymentInitiator, the refund worker and the deadline schedule on `boss`. */
export async function startSagaWorkers(boss: PgBoss, options: SagaWorkerOptions): Promise<() => Promise<void>> {
  const deps = { pool: options.pool, payments: options.payments, logger: options.logger, apply: options.deadline.apply };
  const work = { batchSize: options.batchSize ?? 20, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5 };
  const timed = async <T>(queue: string, fn: () => Promise<string>): Promise<T> => {
    const started = performance.now();
    try {
      const outcome = await fn();
      options.onJob?.(queue, outcome, (performance.now() - started) / 1000);
      return undefined as T;
    } catch (error) {
      options.onJob?.(queue, "failed", (performance.now() - started) / 1000);
      options.logger.warn("job failed; pg-boss retries it", { queue, err: error });
      throw error;
    }
  };
  // A batch handler settles all its jobs together; each job is independent, so run them at once
  // and fail the batch if any failed (pg-boss retries them; the service side is idempotent).
  // With metadata: the PaymentInitiator needs the job's retry count (was a charge maybe sent before?).
  const initiateWork = { ...work, includeMetadata: true } as const;
  await boss.work<InitiatePaymentJob, void, typeof initiateWork>(
    QUEUES.initiatePayment,
    initiateWork,
    async (jobs: JobWithMetadata<InitiatePaymentJob>[]) => {
      await Promise.all(
        jobs.map((j) =>
          inJobSpan(QUEUES.initiatePayment, j.data, () =>
            timed(QUEUES.initiatePayment, () => initiatePayment(deps, j.data, { previousRuns: j.retryCount })),
          ),
        ),
      );
    },
  );
  await boss.work<InitiatePaymentJob, void, typeof initiateWork>(
    QUEUES.collectPayment,
    initiateWork,
    async (jobs: JobWithMetadata<InitiatePaymentJob>[]) => {
      await Promise.all(jobs.map((j) => timed(QUEUES.collectPayment, () => initiatePayment(deps, j.data, { previousRuns: j.retryCount }))));
    },
  );
  await boss.work<RefundPaymentJob>(QUEUES.refundPayment, work, async (jobs: Job<RefundPaymentJob>[]) => {
    await Promise.all(
      jobs.map((j) => inJobSpan(QUEUES.refundPayment, j.data, () => timed(QUEUES.refundPayment, () => refundPayment(deps, j.data)))),
    );
  });
  // Scheduled chores report through onJob too: their last success is what "late" alerts watch.
  await boss.work(QUEUES.pendingDeadline, { pollingIntervalSeconds: 1 }, async () =>
    timed(QUEUES.pendingDeadline, async () => {
      const { cancelled } = await sweepPendingDeadline(options.pool, options.deadline);
      if (cancelled > 0) options.logger.info("pending orders timed out", { cancelled });
      return "swept";
    }),
  );
  await boss.schedule(QUEUES.pendingDeadline, options.deadlineCron ?? "* * * * *");
  const stopDeadlineTicker = startDeadlineTicker(
    boss,
    QUEUES.pendingDeadline,
    options.deadlineSweepEveryMs ?? deadlineSweepIntervalMs(options.deadline.deadlineMs),
    (error) => options.logger.warn("could not file the deadline sweep", { err: error }),
  );
  // Issue 14: orders whose payment waited for the customer past the window are cancelled.
  const windowMs = options.paymentActionWindowMs ?? 0;
  let stopExpiryTicker = () => {};
  if (windowMs > 0) {
    await boss.work(QUEUES.paymentActionExpiry, { pollingIntervalSeconds: 1 }, async () =>
      timed(QUEUES.paymentActionExpiry, async () => {
        const { cancelled } = await sweepPaymentActionExpiry(options.pool, { apply: options.deadline.apply });
        if (cancelled > 0) options.logger.info("payment action windows expired", { cancelled });
        return "swept";
      }),
    );
    await boss.schedule(QUEUES.paymentActionExpiry, options.deadlineCron ?? "* * * * *");
    stopExpiryTicker = startDeadlineTicker(boss, QUEUES.paymentActionExpiry, deadlineSweepIntervalMs(windowMs), (error) =>
      options.logger.warn("could not file the payment action expiry sweep", { err: error }),
    );
  }
  const reconcile = options.reconcile;
  if (reconcile) {
    await boss.work(QUEUES.reconcilePayments, { pollingIntervalSeconds: 1 }, async () =>
      timed(QUEUES.reconcilePayments, async () => {
        const report = await reconcilePayments({ ...deps, payments: failFastLookups(deps.payments) }, reconcile.options);
        reconcile.onReport?.(report);
        if (report.findings.length > 0) {
          options.logger.warn("payment reconciliation found mismatches", { checked: report.checked, findings: report.findings.length });
        }
        return "reconciled";
      }),
    );
    await boss.schedule(QUEUES.reconcilePayments, reconcile.cron);
  }
  const retention = options.processedMessagesRetention;
  if (retention) {
    await boss.work(QUEUES.processedMessagesRetention, { pollingIntervalSeconds: 5 }, async () =>
      timed(QUEUES.processedMessagesRetention, async () => {
        const { deleted } = await pruneProcessedMessages(options.pool, retention);
        if (deleted > 0) options.logger.info("processed_messages retention", { deleted, retentionMs: retention.retentionMs });
        return "pruned";
      }),
    );
    await boss.schedule(QUEUES.processedMessagesRetention, retention.cron);
  }
  return async () => {
    await boss.offWork(QUEUES.initiatePayment, { wait: true });
    await boss.offWork(QUEUES.refundPayment, { wait: true });
    await boss.offWork(QUEUES.collectPayment, { wait: true });
    stopDeadlineTicker();
    await boss.offWork(QUEUES.pendingDeadline, { wait: true });
    stopExpiryTicker();
    if (windowMs > 0) await boss.offWork(QUEUES.paymentActionExpiry, { wait: true });
    if (reconcile) await boss.offWork(QUEUES.reconcilePayments, { wait: true });
    if (retention) await boss.offWork(QUEUES.processedMessagesRetention, { wait: true });
  };
}

/**
 * One reconciliation run stops asking a service that is not answering: after a few lookups in a
 * row failed, the rest of the run treats the service as unreachable at once instead of waiting out
 * a timeout per order (a run of hundreds of orders against a slow service took longer than the
 * outage). Refund calls are not short-cut: each is the repair itself.
 */
export function failFastLookups(payments: PaymentClient, maxFailuresInARow = 3): PaymentClient {
  let failuresInARow = 0;
  return {
    ...payments,
    lookup: async (orderId) => {
      if (failuresInARow >= maxFailuresInARow) {
        throw new AppError("DEPENDENCY_UNAVAILABLE", "payment service not answering this run", { retriable: true });
      }
      try {
        const record = await payments.lookup(orderId);
        failuresInARow = 0;
        return record;
      } catch (error) {
        failuresInARow++;
        throw error;
      }
    },
  };
}
