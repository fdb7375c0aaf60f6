import { topicEnvEntries } from "@orders/kafka";
import { env } from "@orders/runtime";
import * as v from "valibot";

const cron = (fallback: string) => v.optional(v.pipe(v.string(), v.regex(/^\S+( \S+){4,5}$/, "must be a cron expression")), fallback);

/** Environment of apps/relay (docs/configuration.md). */
export const RelayConfigSchema = v.object({
  DATABASE_URL: env.optionalString(),
  DATABASE_POOL_MAX: env.int(6, 2, 200),
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
  RELAY_JOBS: env.bool(true),
  RELAY_SWEEP_CRON: cron("* * * * *"),
  RELAY_RETENTION_CRON: cron("*/10 * * * *"),
  RELAY_METRICS_CRON: cron("* * * * *"),
  SHUTDOWN_TIMEOUT_MS: env.int(20_000, 0, 600_000),
});

export type RelayConfig = v.InferOutput<typeof RelayConfigSchema>;
