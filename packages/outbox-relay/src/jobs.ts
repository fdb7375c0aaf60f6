import type { Logger } from "@orders/runtime";
import type pg from "pg";
import { PgBoss } from "pg-boss";
import type { RelayMetrics } from "./metrics.ts";
import type { Publisher } from "./publisher.ts";
import { type ReplayRequest, replay } from "./replay.ts";
import { runRetention } from "./retention.ts";
import { relayStatus } from "./status.ts";

/** The relay's pg-boss queues. */
export const RELAY_QUEUES = {
  sweep: "relay-sweep",
  retention: "relay-retention",
  metricsSnapshot: "relay-metrics-snapshot",
  replay: "relay-replay",
} as const;

export interface RelaySchedule {
  /** Cron of the backstop sweep (the in-process sweep timer runs much more often). */
  readonly sweepCron: string;
  readonly retentionCron: string;
  readonly metricsCron: string;
}

export interface RelayJobsOptions {
  readonly connectionString: string;
  readonly pool: pg.Pool;
  readonly publisher: Publisher;
  readonly logger: Logger;
  readonly metrics?: RelayMetrics;
  readonly retentionSeconds: number;
  readonly schedule: RelaySchedule;
  /** Called by the sweep job: drain now. */
  readonly wake: () => void;
  /** `idle_in_transaction_session_timeout` of pg-boss' own connections. */
  readonly idleInTransactionTimeoutMs?: number;
}

async function ensureQueue(boss: PgBoss, name: string, options: Parameters<PgBoss["createQueue"]>[1]): Promise<void> {
  try {
    await boss.createQueue(name, options);
  } catch (error) {
    if (!(await boss.getQueue(name))) throw error;
  }
}

/** Creates the relay's queues (idempotent); also what the CLI calls before sending a replay job. */
export async function createRelayQueues(boss: PgBoss): Promise<void> {
  // Scheduled work is idempotent and a missed run is made up by the next: no retries.
  await ensureQueue(boss, RELAY_QUEUES.sweep, { retryLimit: 0 });
  await ensureQueue(boss, RELAY_QUEUES.retention, { retryLimit: 2, retryDelay: 30 });
  await ensureQueue(boss, RELAY_QUEUES.metricsSnapshot, { retryLimit: 0 });
  // A replay that failed half-way resumes from the start: consumers de-duplicate by ce_id.
  await ensureQueue(boss, RELAY_QUEUES.replay, { retryLimit: 3, retryDelay: 10, retryBackoff: true, expireInSeconds: 3_600 });
}

export function createBoss(
  connectionString: string,
  options: { supervise?: boolean; schedule?: boolean; idleInTransactionTimeoutMs?: number } = {},
): PgBoss {
  const boss = new PgBoss({
    connectionString,
    max: 3,
    application_name: "relay-jobs",
    // A session stuck in a transaction is ended by the server (docs/configuration.md).
    ...(options.idleInTransactionTimeoutMs
      ? { options: `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}` }
      : {}),
    supervise: options.supervise ?? true,
    schedule: options.schedule ?? true,
  });
  boss.on("error", (error) => process.emitWarning(`pg-boss: ${(error as Error).message}`));
  return boss;
}

/** Starts pg-boss with the relay's schedules and workers; returns it for shutdown. */
export async function startRelayJobs(options: RelayJobsOptions): Promise<PgBoss> {
  const { logger, pool } = options;
  const boss = createBoss(
    options.connectionString,
    options.idleInTransactionTimeoutMs ? { idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs } : {},
  );
  await boss.start();
  await createRelayQueues(boss);
  await boss.schedule(RELAY_QUEUES.sweep, options.schedule.sweepCron);
  await boss.schedule(RELAY_QUEUES.retention, options.schedule.retentionCron);
  await boss.schedule(RELAY_QUEUES.metricsSnapshot, options.schedule.metricsCron);

  await boss.work(RELAY_QUEUES.sweep, async () => {
    options.wake();
  });
  await boss.work(RELAY_QUEUES.retention, async () => {
    const result = await runRetention(pool, options.retentionSeconds);
    logger.info("retention clean-up", { ...result, retentionSeconds: options.retentionSeconds });
    return result;
  });
  await boss.work(RELAY_QUEUES.metricsSnapshot, async () => {
    const s = await relayStatus(pool, { parkedLimit: 0 });
    logger.info("outbox snapshot", {
      backlog: s.backlog,
      parked: s.parked,
      retrying: s.retrying,
      oldestAgeSeconds: s.oldestAgeSeconds,
      publishedLastMinute: s.recent.published,
      p99Seconds: s.recent.p99Seconds,
    });
  });
  await boss.work<ReplayRequest>(RELAY_QUEUES.replay, { localConcurrency: 1 }, async ([job]) => {
    if (!job) return;
    const log = logger.child({ job: job.id });
    let last = 0;
    const result = await replay(pool, options.publisher, job.data, {
      signal: job.signal,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      onProgress: (p) => {
        if (p.done - last >= 10_000) {
          last = p.done;
          log.info("replay progress", { ...p });
        }
      },
    });
    log.info("replay finished", { ...result, request: job.data });
    return result;
  });
  return boss;
}

/** Queues a replay for whichever relay instance picks it up (the CLI's `--background`). */
export async function enqueueReplay(connectionString: string, request: ReplayRequest): Promise<string | null> {
  const boss = createBoss(connectionString, { supervise: false, schedule: false });
  await boss.start();
  try {
    await createRelayQueues(boss);
    return await boss.send(RELAY_QUEUES.replay, { ...request });
  } finally {
    await boss.stop({ graceful: false });
  }
}
