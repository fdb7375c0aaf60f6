import { createPool } from "@orders/db";
import {
  createKafka,
  createKafkaProbe,
  createRecordSender,
  ensureTopics,
  parseBrokers,
  projectTopics,
  topicNamesFrom,
} from "@orders/kafka";
import {
  createPublisher,
  createRelayMetrics,
  type DrainResult,
  listenForOutbox,
  outboxStatsKeeper,
  refreshGauges,
  startRelayJobs,
  startRelayLoop,
} from "@orders/outbox-relay";
import {
  createMetricsRegistry,
  createPipelineHealth,
  createReadiness,
  gaugeMax,
  type Logger,
  serveOps,
  waitForDependency,
} from "@orders/runtime";
import { type RelayConfig, relayIdleInTransactionTimeoutMs } from "./config.ts";
import { publishPolicy } from "./policies.ts";

export interface RunningRelay {
  readonly metricsUrl: string;
  /** Stop intake, finish the batch in flight, close everything (reverse order of start). */
  stop(): Promise<void>;
}

/** Wires one relay instance; `config.DATABASE_URL` and `config.KAFKA_BROKERS` must be set. */
export async function startRelay(
  config: RelayConfig,
  logger: Logger,
  hooks: { onBatch?: (r: DrainResult) => void } = {},
): Promise<RunningRelay> {
  const databaseUrl = config.DATABASE_URL as string;
  const stops: { name: string; stop: () => Promise<void> | void }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error("relay stop step failed", { step: name, err: error });
      }
    }
  };
  try {
    // Each batch in flight holds a connection for its whole claim transaction; keep two more
    // for the pending poll and the gauges.
    const poolMax = Math.max(config.DATABASE_POOL_MAX, config.RELAY_CONCURRENCY + 2);
    // The claim transaction stays open while Kafka acknowledges a batch (docs/decisions.md
    // D-OPS-1): its idle-in-transaction bound exceeds the longest bounded send.
    const idleInTransactionTimeoutMs = relayIdleInTransactionTimeoutMs(config);
    const pool = createPool({
      connectionString: databaseUrl,
      max: poolMax,
      applicationName: "relay",
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs,
    });
    stops.push({ name: "database pool", stop: () => pool.end() });
    await waitForDependency("PostgreSQL", () => pool.query("SELECT 1"), logger);

    // The client logs every reconnect attempt; failures reach our own log once, with context.
    const kafka = createKafka({
      brokers: parseBrokers(config.KAFKA_BROKERS as string),
      clientId: config.KAFKA_CLIENT_ID,
      logLevel: "error",
    });
    const topics = topicNamesFrom(config);
    if (config.KAFKA_CREATE_TOPICS) {
      await waitForDependency(
        "Kafka",
        () => ensureTopics(kafka, projectTopics(topics, config.KAFKA_TOPIC_PARTITIONS, config.KAFKA_REPLICATION_FACTOR)),
        logger,
      );
    }
    // One idempotent sender per batch in flight (see createPublisher).
    const senders = Array.from({ length: config.RELAY_CONCURRENCY }, (_, i) =>
      createRecordSender({
        brokers: parseBrokers(config.KAFKA_BROKERS as string),
        clientId: `${config.KAFKA_CLIENT_ID}-${i + 1}`,
        requestTimeoutMs: config.RELAY_SEND_TIMEOUT_MS,
      }),
    );
    stops.push({ name: "kafka producer", stop: async () => void (await Promise.all(senders.map((s) => s.close()))) });
    await waitForDependency("Kafka", () => Promise.all(senders.map((s) => s.connect(topics.orders))), logger);

    const registry = createMetricsRegistry("relay");
    const metrics = createRelayMetrics(registry);
    const { policy, breaker } = publishPolicy(config);
    const publisher = createPublisher({
      sender: senders,
      topic: topics.orders,
      policy,
      breaker,
      halfOpenAfterMs: config.RELAY_BREAKER_HALF_OPEN_MS,
    });

    // Gauges, and planner statistics that fit the backlog (docs/relay.md): once before draining
    // (a backlog may have built up while no relay ran), then every RELAY_GAUGE_INTERVAL_MS.
    const keepStatsFresh = outboxStatsKeeper(pool, logger);
    const refreshStatus = () =>
      refreshGauges(pool, metrics)
        .then((status) => keepStatsFresh(status.backlog))
        .catch((error: unknown) => logger.warn("gauge refresh failed", { err: error }));
    await refreshStatus();
    const loop = startRelayLoop({
      pool,
      publisher,
      logger,
      metrics,
      batchSize: config.RELAY_BATCH_SIZE,
      concurrency: config.RELAY_CONCURRENCY,
      maxAttempts: config.RELAY_MAX_ATTEMPTS,
      sweepIntervalMs: config.RELAY_SWEEP_INTERVAL_MS,
      pollIntervalMs: config.RELAY_POLL_INTERVAL_MS,
      idleAfterMs: config.RELAY_IDLE_AFTER_MS,
      pendingPollMs: config.RELAY_PENDING_POLL_MS,
      backoffMs: config.RELAY_BACKOFF_MS,
      maxBackoffMs: config.RELAY_MAX_BACKOFF_MS,
      ...(hooks.onBatch ? { onBatch: hooks.onBatch } : {}),
    });
    // Registered after the producer and pool: stopped first, so the batch in flight finishes.
    stops.push({ name: "drain loop", stop: () => loop.stop() });

    const notifier = listenForOutbox(databaseUrl, () => loop.wake(), logger);
    stops.push({ name: "listen", stop: () => notifier.stop() });

    const gauges = setInterval(() => void refreshStatus(), config.RELAY_GAUGE_INTERVAL_MS);
    gauges.unref();
    stops.push({ name: "gauges", stop: () => clearInterval(gauges) });

    if (config.RELAY_JOBS) {
      const boss = await startRelayJobs({
        connectionString: databaseUrl,
        pool,
        publisher,
        logger,
        metrics,
        retentionSeconds: config.RELAY_RETENTION_SECONDS,
        schedule: {
          sweepCron: config.RELAY_SWEEP_CRON,
          retentionCron: config.RELAY_RETENTION_CRON,
          metricsCron: config.RELAY_METRICS_CRON,
        },
        wake: () => loop.wake(),
        idleInTransactionTimeoutMs,
      });
      // Before the loop stops: no new replay job starts, a running one finishes.
      stops.push({ name: "pg-boss", stop: () => boss.stop({ graceful: true, timeout: config.SHUTDOWN_TIMEOUT_MS }) });
    }

    // /readyz: the database and a broker answer now (not-ready during an outage of either).
    const kafkaProbe = createKafkaProbe({
      brokers: parseBrokers(config.KAFKA_BROKERS as string),
      clientId: `${config.KAFKA_CLIENT_ID}-probe`,
    });
    stops.push({ name: "kafka probe", stop: () => kafkaProbe.close() });
    const readiness = createReadiness({ database: () => pool.query("SELECT 1"), kafka: () => kafkaProbe.probe() });
    // /health/pipeline: the outbox drains within its bound (docs/operations.md; not liveness).
    const pipeline = createPipelineHealth([
      {
        name: "oldest_unpublished_age_seconds",
        value: () => gaugeMax(metrics.oldestUnpublishedAge),
        max: config.RELAY_HEALTH_MAX_OLDEST_AGE_SECONDS,
      },
    ]);
    const server = await serveOps({ registry, port: config.METRICS_PORT, host: config.HOST, readiness, pipeline });
    stops.push({ name: "metrics server", stop: () => server.close() });
    logger.info("relay started", {
      topic: topics.orders,
      metrics: `${server.url}/metrics`,
      batchSize: config.RELAY_BATCH_SIZE,
      concurrency: config.RELAY_CONCURRENCY,
    });
    return { metricsUrl: `${server.url}/metrics`, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
