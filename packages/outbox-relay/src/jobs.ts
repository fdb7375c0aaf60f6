import type { Logger } from "@orders/runtime";
import { type PgBoss, type QueueSpec, startJobQueue } from "@orders/runtime/job-queue";
import type pg from "pg";
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

/** The relay's queues and their options (created or kept current at start-up). */
const RELAY_QUEUE_SPECS: readonly QueueSpec[] = [
  // Scheduled work is idempotent and a missed run is made up by the next: no retries.
  { name: RELAY_QUEUES.sweep, options: { retryLimit: 0 } },
  { name: RELAY_QUEUES.retention, options: { retryLimit: 2, retryDelay: 30 } },
  { name: RELAY_QUEUES.metricsSnapshot, options: { retryLimit: 0 } },
  // A replay that failed half-way resumes from the start: consumers de-duplicate by ce_id.
  { name: RELAY_QUEUES.replay, options: { retryLimit: 3, retryDelay: 10, retryBackoff: true, expireInSeconds: 3_600 } },
];

/** pg-boss with the relay's queues, through the project's one bootstrap (@orders/runtime/job-queue). */
const startRelayBoss = (
  connectionString: string,
  options: { supervise?: boolean; schedule?: boolean; idleInTransactionTimeoutMs?: number } = {},
): Promise<PgBoss> => startJobQueue({ connectionString, applicationName: "relay-jobs", max: 3, ...options, queues: RELAY_QUEUE_SPECS });

/** Starts pg-boss with the relay's schedules and workers; returns it for shutdown. */
export async function startRelayJobs(options: RelayJobsOptions): Promise<PgBoss> {
  const { logger, pool } = options;
  // A session stuck in a transaction is ended by the server (docs/configuration.md).
  const boss = await startRelayBoss(
    options.connectionString,
    options.idleInTransactionTimeoutMs ? { idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs } : {},
  );
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
  const boss = await startRelayBoss(connectionString, { supervise: false, schedule: false });
  try {
    return await boss.send(RELAY_QUEUES.replay, { ...request });
  } finally {
    await boss.stop({ graceful: false });
  }
}
