import { topicEnvEntries } from "@orders/kafka";
import { env } from "@orders/runtime";
import * as v from "valibot";

const cron = (fallback: string) => v.optional(v.pipe(v.string(), v.regex(/^\S+( \S+){4,5}$/, "must be a cron expression")), fallback);

/** Environment of apps/relay (docs/configuration.md). */
export const RelayConfigSchema = v.pipe(
  v.object({
    DATABASE_URL: env.optionalString(),
    DATABASE_POOL_MAX: env.int(6, 2, 200),
    DATABASE_STATEMENT_TIMEOUT_MS: env.int(30_000, 0, 3_600_000),
    DATABASE_LOCK_TIMEOUT_MS: env.int(10_000, 0, 3_600_000),
    /** Unset: derived from the send bounds (relayIdleInTransactionTimeoutMs). */
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: v.optional(
      v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.maxValue(3_600_000)),
    ),
    KAFKA_BROKERS: env.optionalString(),
    KAFKA_CLIENT_ID: env.string("order-service-relay"),
    ...topicEnvEntries,
    KAFKA_CREATE_TOPICS: env.bool(true),
    LOG_LEVEL: env.logLevel(),
    METRICS_PORT: env.int(9101, 0, 65_535),
    HOST: env.string("0.0.0.0"),
    RELAY_BATCH_SIZE: env.int(500, 1, 10_000),
    RELAY_CONCURRENCY: env.int(2, 1, 8),
    RELAY_SWEEP_INTERVAL_MS: env.int(1_000, 10, 600_000),
    RELAY_POLL_INTERVAL_MS: env.int(5, 1, 10_000),
    RELAY_IDLE_AFTER_MS: env.int(50, 1, 600_000),
    RELAY_PENDING_POLL_MS: env.int(10, 1, 10_000),
    RELAY_MAX_ATTEMPTS: env.int(5, 1, 1_000),
    RELAY_SEND_TIMEOUT_MS: env.int(30_000, 100, 600_000),
    RELAY_SEND_RETRIES: env.int(3, 0, 100),
    RELAY_RETRY_DELAY_MS: env.int(100, 1, 60_000),
    RELAY_RETRY_MAX_DELAY_MS: env.int(2_000, 1, 600_000),
    RELAY_BREAKER_THRESHOLD: env.int(5, 1, 1_000),
    RELAY_BREAKER_HALF_OPEN_MS: env.int(5_000, 10, 600_000),
    RELAY_BACKOFF_MS: env.int(200, 1, 60_000),
    RELAY_MAX_BACKOFF_MS: env.int(5_000, 1, 600_000),
    RELAY_RETENTION_SECONDS: env.int(86_400, 0, 365 * 86_400),
    RELAY_GAUGE_INTERVAL_MS: env.int(5_000, 100, 600_000),
    /** /health/pipeline reports degraded above this (never wire it to liveness). */
    RELAY_HEALTH_MAX_OLDEST_AGE_SECONDS: env.int(60, 1, 7 * 86_400),
    RELAY_JOBS: env.bool(true),
    RELAY_SWEEP_CRON: cron("* * * * *"),
    RELAY_RETENTION_CRON: cron("*/10 * * * *"),
    RELAY_METRICS_CRON: cron("* * * * *"),
    SHUTDOWN_TIMEOUT_MS: env.int(20_000, 0, 600_000),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const c = dataset.value;
    const set = c.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS;
    if (set === undefined || set === 0) return;
    const bound = publishBoundMs(c);
    if (set <= bound) {
      addIssue({
        message: `must exceed the longest bounded send (${bound} ms from RELAY_SEND_TIMEOUT_MS, RELAY_SEND_RETRIES, RELAY_RETRY_MAX_DELAY_MS): the claim transaction stays open while Kafka acknowledges`,
        path: [{ type: "object", origin: "value", input: c, key: "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", value: set }],
      });
    }
  }),
);

export type RelayConfig = v.InferOutput<typeof RelayConfigSchema>;

type SendBounds = Pick<RelayConfig, "RELAY_SEND_TIMEOUT_MS" | "RELAY_SEND_RETRIES" | "RELAY_RETRY_MAX_DELAY_MS">;

/**
 * The longest a publish may take before the policy gives up: every attempt times out
 * (cockatiel's per-attempt timeout) and every back-off is at its maximum. The claim
 * transaction sits idle that long at most between two statements (docs/decisions.md D-OPS-1).
 */
export const publishBoundMs = (c: SendBounds): number =>
  (c.RELAY_SEND_RETRIES + 1) * c.RELAY_SEND_TIMEOUT_MS + c.RELAY_SEND_RETRIES * c.RELAY_RETRY_MAX_DELAY_MS;

/** Margin above the publish bound: the row bookkeeping and a loaded event loop around a send. */
export const IDLE_IN_TRANSACTION_MARGIN_MS = 10_000;

/** The relay's `idle_in_transaction_session_timeout`: as configured, else the publish bound plus a margin. */
export const relayIdleInTransactionTimeoutMs = (c: RelayConfig): number =>
  c.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? publishBoundMs(c) + IDLE_IN_TRANSACTION_MARGIN_MS;
