import { PgBoss } from "pg-boss";

/** A queue's options as pg-boss takes them at creation (retry, expiry, policy …). */
export type QueueOptions = NonNullable<Parameters<PgBoss["createQueue"]>[1]>;

/** A queue a process creates at start-up, with the options it keeps current. */
export interface QueueSpec {
  readonly name: string;
  readonly options: QueueOptions;
}

export interface JobQueueOptions {
  readonly connectionString: string;
  /** `application_name` of pg-boss' own connections (pg_stat_activity). */
  readonly applicationName: string;
  /** Connections pg-boss may hold (its own pool). */
  readonly max: number;
  /** false for processes that only send (the API, CLIs): no maintenance, no cron. */
  readonly supervise?: boolean;
  readonly schedule?: boolean;
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
  readonly queues: readonly QueueSpec[];
}

/**
 * The project's one pg-boss bootstrap: starts pg-boss (installing or migrating its schema under
 * its own lock) and creates or updates `queues`. Used by the saga (@orders/lifecycle) and the relay.
 */
export async function startJobQueue(options: JobQueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    max: options.max,
    application_name: options.applicationName,
    ...(options.idleInTransactionTimeoutMs
      ? { options: `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}` }
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
  for (const q of options.queues) await ensureQueue(boss, q.name, q.options);
  return boss;
}

/** Creates a queue, or brings an existing one's options up to date (another instance, an earlier version). */
export async function ensureQueue(boss: PgBoss, name: string, options: QueueOptions): Promise<void> {
  if (await boss.getQueue(name)) {
    // All but the policy, which pg-boss fixes at creation.
    const { policy: _fixedAtCreation, ...updatable } = options;
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
