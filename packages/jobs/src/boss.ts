import { sessionTimeoutOptions } from "@orders/db";
import { PgBoss } from "pg-boss";
import { QUEUES } from "./queues.ts";

export interface BossOptions {
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
  /** How often expired active jobs are looked for (pg-boss' default: 60 s). */
  readonly superviseIntervalSeconds?: number;
  /** How often pg-boss evaluates schedules (1–45 s; its default 30 s delays sub-minute crons). */
  readonly cronCheckSeconds?: number;
  /**
   * `idle_in_transaction_session_timeout` of pg-boss' own connections (0 or absent: the
   * server's). Only this bound: a statement or lock timeout could fail its schema migration or
   * its maintenance on a large job table, while a session stuck in a transaction is what holds
   * locks and the xmin horizon back. (Jobs inserted on our own transaction get our pool's bounds.)
   */
  readonly idleInTransactionTimeoutMs?: number;
}

/** Starts pg-boss (installing or migrating its schema under its own lock) and its queues. */
export async function startBoss(options: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    max: options.max ?? 4,
    application_name: "order-service-jobs",
    ...(options.idleInTransactionTimeoutMs
      ? { options: sessionTimeoutOptions({ idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs }) }
      : {}),
    supervise: options.supervise ?? true,
    schedule: options.schedule ?? true,
    ...(options.superviseIntervalSeconds ? { superviseIntervalSeconds: options.superviseIntervalSeconds } : {}),
    ...(options.cronCheckSeconds
      ? { cronMonitorIntervalSeconds: options.cronCheckSeconds, cronWorkerIntervalSeconds: options.cronCheckSeconds }
      : {}),
  });
  boss.on("error", (error) => {
    // Errors of pg-boss' own loops (maintenance, polling) are retried by pg-boss itself.
    process.emitWarning(`pg-boss: ${(error as Error).message}`);
  });
  await boss.start();
  const retry = {
    retryLimit: options.retryLimit ?? 5,
    retryDelay: options.retryDelaySeconds ?? 1,
    retryBackoff: true,
    retryDelayMax: 60,
    expireInSeconds: options.jobExpireSeconds ?? 60,
  };
  await ensureQueue(boss, QUEUES.initiatePayment, retry);
  await ensureQueue(boss, QUEUES.refundPayment, retry);
  // One sweep at a time is enough; a missed one is made up by the next.
  await ensureQueue(boss, QUEUES.pendingDeadline, { retryLimit: 0, policy: "singleton" });
  await ensureQueue(boss, QUEUES.reconcilePayments, { retryLimit: 0, policy: "singleton" });
  return boss;
}

async function ensureQueue(boss: PgBoss, name: string, options: Parameters<PgBoss["createQueue"]>[1]): Promise<void> {
  if (await boss.getQueue(name)) {
    // Created by an earlier version or another instance: bring its options up to date
    // (all but the policy, which pg-boss fixes at creation).
    const { policy: _fixedAtCreation, ...updatable } = options ?? {};
    if (Object.keys(updatable).length > 0) await boss.updateQueue(name, updatable as Parameters<PgBoss["updateQueue"]>[1]);
    return;
  }
  try {
    await boss.createQueue(name, options);
  } catch (error) {
    // Another instance created it between our check and our insert.
    if (!(await boss.getQueue(name))) throw error;
  }
}

export type { PgBoss };
