import type { SessionTimeouts } from "@orders/db";
import { type TopicNames, topicEnvEntries, topicNamesFrom } from "@orders/kafka";
import { type CallPolicyOptions, DEFAULT_HTTP_POLICY, databaseSessionEnv, env, workerProcessEnv } from "@orders/runtime";
import * as v from "valibot";

/** The consumer's environment (docs/configuration.md). */
export const ConsumerEnvSchema = v.object({
  DATABASE_URL: env.url(),
  KAFKA_BROKERS: env.list(),
  ...topicEnvEntries,
  CONSUMER_GROUP_ID: env.string("order-consumer"),
  PAYMENT_URL: env.url(),
  PAYMENT_MAX_ATTEMPTS: env.int(3, 1, 20),
  // Issue 14: after a final decline the order waits this long for the customer's retry (0: cancel at once).
  PAYMENT_ACTION_WINDOW_MS: env.int(900_000, 0, 7 * 24 * 3_600_000),
  PAYMENT_MAX_CUSTOMER_ATTEMPTS: env.int(3, 0, 20),
  PAYMENT_TIMEOUT_MS: env.int(DEFAULT_HTTP_POLICY.timeoutMs, 1, 120_000),
  PAYMENT_HTTP_RETRIES: env.int(DEFAULT_HTTP_POLICY.retries, 0, 20),
  PAYMENT_BREAKER_THRESHOLD: env.int(DEFAULT_HTTP_POLICY.breakerThreshold, 1, 1_000),
  PAYMENT_BREAKER_HALF_OPEN_MS: env.int(DEFAULT_HTTP_POLICY.halfOpenAfterMs, 100, 600_000),
  JOB_RETRY_LIMIT: env.int(5, 0, 100),
  PENDING_DEADLINE_MS: env.int(120_000, 1_000, 7 * 24 * 3_600_000),
  DEADLINE_SWEEP_CRON: env.string("*/15 * * * * *"),
  CRON_CHECK_SECONDS: env.int(5, 1, 45),
  RECONCILE_CRON: env.string("* * * * *"),
  RECONCILE_MIN_AGE_MS: env.int(30_000, 0, 24 * 3_600_000),
  RECONCILE_PENDING_BOUND_MS: env.int(120_000, 0, 7 * 24 * 3_600_000),
  RECONCILE_LOOKBACK_HOURS: env.int(72, 1, 24 * 365),
  // Longer than any redelivery: the consumed topics' retention (7 days by default) and a DLQ re-drive.
  PROCESSED_MESSAGES_RETENTION_HOURS: env.int(336, 24, 24 * 365),
  PROCESSED_MESSAGES_RETENTION_CRON: env.string("23 * * * *"),
  CONSUMER_HEALTH_MAX_LAG_RECORDS: env.int(10_000, 1, 1_000_000_000),
  CONSUMER_CHUNK_SIZE: env.int(200, 1, 5_000),
  CONSUMER_PARTITIONS_CONCURRENTLY: env.int(3, 1, 64),
  // Fetch bounds (issue 17): what a fetch may bring into the heap, per partition and in all.
  CONSUMER_FETCH_MAX_PARTITION_BYTES: env.int(262_144, 1_024, 104_857_600),
  CONSUMER_FETCH_MAX_BYTES: env.int(2_097_152, 1_024, 1_073_741_824),
  DATABASE_POOL_MAX: env.int(8, 1, 200),
  // No network call inside the consumer's transactions: 15 s idle in one is a stuck process.
  ...databaseSessionEnv({ statementMs: 30_000, lockMs: 10_000, idleInTransactionMs: 15_000 }),
  RUN_JOB_WORKERS: env.bool(true),
  ...workerProcessEnv({ metricsPort: 9102 }),
});

/** Old names still read, with a warning at start (docs/configuration.md): the same name for the same thing in every app. */
export const DEPRECATED_CONSUMER_ENV = { DB_POOL_MAX: "DATABASE_POOL_MAX", METRICS_HOST: "HOST" } as const;

export type ConsumerEnv = v.InferOutput<typeof ConsumerEnvSchema>;

/** What the consumer's wiring needs, validated from the environment by `toConsumerConfig`. */
export interface ConsumerConfig {
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly topics: TopicNames;
  readonly paymentUrl: string;
  readonly maxPaymentAttempts: number;
  /** Issue 14: how long a declined order waits for the customer's retry (absent or 0: cancel at once). */
  readonly paymentActionWindowMs?: number;
  /** Attempts a customer may start after declines. */
  readonly maxCustomerPaymentAttempts?: number;
  readonly pendingDeadlineMs: number;
  readonly deadlineCron: string;
  /** Payment reconciliation: schedule and thresholds (docs/lifecycle.md). */
  readonly reconcile: {
    readonly cron: string;
    readonly minAgeMs: number;
    readonly pendingBoundMs: number;
    readonly lookbackMs: number;
  };
  /** processed_messages retention (the inbox): window and schedule; absent = no retention job here. */
  readonly processedMessagesRetention?: { readonly retentionMs: number; readonly cron: string };
  /** /health/pipeline reports degraded when the lag of a partition passes this. */
  readonly healthMaxLagRecords?: number;
  /** Seconds between pg-boss schedule evaluations (bounds the deadline sweep's lateness). */
  readonly cronCheckSeconds?: number;
  readonly chunkSize: number;
  readonly partitionsConcurrently: number;
  /** Fetch bounds (bytes per partition, per fetch response); the kafka package's defaults when absent. */
  readonly fetchMaxPartitionBytes?: number;
  readonly fetchMaxBytes?: number;
  readonly poolMax: number;
  /** Bounds of every pooled session (statement, lock, idle in transaction); pg-boss gets the last. */
  readonly sessionTimeouts?: SessionTimeouts;
  /** Run the PaymentInitiator / refund / deadline workers in this process. */
  readonly runJobWorkers: boolean;
  readonly jobRetryLimit: number;
  readonly paymentPolicy: CallPolicyOptions;
  /** 0 = any free port; null = no HTTP server. */
  readonly metricsPort: number | null;
  readonly metricsHost?: string;
  readonly source: string;
}

export const toConsumerConfig = (e: ConsumerEnv): ConsumerConfig => ({
  databaseUrl: e.DATABASE_URL,
  brokers: e.KAFKA_BROKERS,
  groupId: e.CONSUMER_GROUP_ID,
  topics: topicNamesFrom(e),
  paymentUrl: e.PAYMENT_URL,
  maxPaymentAttempts: e.PAYMENT_MAX_ATTEMPTS,
  paymentActionWindowMs: e.PAYMENT_ACTION_WINDOW_MS,
  maxCustomerPaymentAttempts: e.PAYMENT_MAX_CUSTOMER_ATTEMPTS,
  pendingDeadlineMs: e.PENDING_DEADLINE_MS,
  deadlineCron: e.DEADLINE_SWEEP_CRON,
  reconcile: {
    cron: e.RECONCILE_CRON,
    minAgeMs: e.RECONCILE_MIN_AGE_MS,
    pendingBoundMs: e.RECONCILE_PENDING_BOUND_MS,
    lookbackMs: e.RECONCILE_LOOKBACK_HOURS * 3_600_000,
  },
  processedMessagesRetention: { retentionMs: e.PROCESSED_MESSAGES_RETENTION_HOURS * 3_600_000, cron: e.PROCESSED_MESSAGES_RETENTION_CRON },
  healthMaxLagRecords: e.CONSUMER_HEALTH_MAX_LAG_RECORDS,
  cronCheckSeconds: e.CRON_CHECK_SECONDS,
  chunkSize: e.CONSUMER_CHUNK_SIZE,
  partitionsConcurrently: e.CONSUMER_PARTITIONS_CONCURRENTLY,
  fetchMaxPartitionBytes: e.CONSUMER_FETCH_MAX_PARTITION_BYTES,
  fetchMaxBytes: e.CONSUMER_FETCH_MAX_BYTES,
  poolMax: e.DATABASE_POOL_MAX,
  sessionTimeouts: {
    statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  },
  runJobWorkers: e.RUN_JOB_WORKERS,
  jobRetryLimit: e.JOB_RETRY_LIMIT,
  paymentPolicy: {
    ...DEFAULT_HTTP_POLICY,
    timeoutMs: e.PAYMENT_TIMEOUT_MS,
    retries: e.PAYMENT_HTTP_RETRIES,
    breakerThreshold: e.PAYMENT_BREAKER_THRESHOLD,
    halfOpenAfterMs: e.PAYMENT_BREAKER_HALF_OPEN_MS,
  },
  metricsPort: e.METRICS_PORT,
  metricsHost: e.HOST,
  source: "/order-service/consumer",
});
