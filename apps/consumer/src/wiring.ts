import { createPool, type Pool } from "@orders/db";
import {
  type BatchConsumer,
  createBatchConsumer,
  createIdempotentProducer,
  createKafka,
  createKafkaProbe,
  type Producer,
  sendDeadLetters,
} from "@orders/kafka";
import { httpPaymentClient, type PgBoss, sagaJobMetrics, startSagaBoss, startSagaWorkers } from "@orders/lifecycle";
import { consumerMetrics, lifecycleChunkHandler } from "@orders/lifecycle/consumer";
import {
  buildCallPolicy,
  createMetricsRegistry,
  createPipelineHealth,
  createReadiness,
  gaugeMax,
  type Logger,
  type OpsServer,
  serveOps,
} from "@orders/runtime";
import type { ConsumerConfig } from "./config.ts";

export interface RunningConsumer {
  readonly metricsUrl: string | null;
  readonly pool: Pool;
  readonly boss: PgBoss;
  /** Stops intake (finishes and commits the chunk in hand), then workers, then connections. */
  stop(): Promise<void>;
}

/** Wires and starts the consumer: Kafka group member, job workers, /metrics. */
export async function startConsumer(config: ConsumerConfig, logger: Logger): Promise<RunningConsumer> {
  const registry = createMetricsRegistry("consumer");
  const metrics = consumerMetrics(registry);
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.poolMax,
    applicationName: "consumer",
    ...config.sessionTimeouts,
  });
  // Everything started below is stopped again if a later step fails: start-up is retried
  // (startWithRetry in main.ts) and a half-started consumer must not hold connections meanwhile.
  const started: (() => Promise<unknown>)[] = [() => pool.end()];
  try {
    return await startRest();
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => {});
    throw error;
  }

  async function startRest(): Promise<RunningConsumer> {
    const boss = await startSagaBoss({
      connectionString: config.databaseUrl,
      ...(config.sessionTimeouts?.idleInTransactionTimeoutMs
        ? { idleInTransactionTimeoutMs: config.sessionTimeouts.idleInTransactionTimeoutMs }
        : {}),
      max: 4,
      retryLimit: config.jobRetryLimit,
      ...(config.cronCheckSeconds ? { cronCheckSeconds: config.cronCheckSeconds } : {}),
      schedule: config.runJobWorkers,
    });
    started.push(() => boss.stop({ graceful: false, close: true }));
    const apply = {
      consumer: config.groupId,
      source: config.source,
      decision: {
        maxPaymentAttempts: config.maxPaymentAttempts,
        paymentActionWindowMs: config.paymentActionWindowMs ?? 0,
        maxCustomerAttempts: config.maxCustomerPaymentAttempts ?? 0,
      },
      jobs: boss,
    };

    const jobMetrics = sagaJobMetrics(registry);
    let stopWorkers: (() => Promise<void>) | null = null;
    if (config.runJobWorkers) {
      const { policy, breaker } = buildCallPolicy(config.paymentPolicy);
      breaker.onStateChange((state) => logger.warn("payment circuit breaker", { state: String(state) }));
      jobMetrics.watchPaymentBreaker(() => breaker.state as number);
      stopWorkers = await startSagaWorkers(boss, {
        pool,
        payments: httpPaymentClient(config.paymentUrl, policy),
        logger: logger.child({ part: "jobs" }),
        deadline: { deadlineMs: config.pendingDeadlineMs, apply },
        deadlineCron: config.deadlineCron,
        paymentActionWindowMs: config.paymentActionWindowMs ?? 0,
        onJob: jobMetrics.onJob,
        reconcile: {
          cron: config.reconcile.cron,
          options: {
            minAgeMs: config.reconcile.minAgeMs,
            pendingBoundMs: config.reconcile.pendingBoundMs,
            lookbackMs: config.reconcile.lookbackMs,
          },
          onReport: jobMetrics.onReconcileReport,
        },
        ...(config.processedMessagesRetention ? { processedMessagesRetention: config.processedMessagesRetention } : {}),
      });
    }

    const kafka = createKafka({ brokers: config.brokers, clientId: `consumer-${process.pid}` });
    const dlqProducer: Producer = createIdempotentProducer(kafka);
    await dlqProducer.connect();
    started.push(() => dlqProducer.disconnect());
    const consumer: BatchConsumer = createBatchConsumer(kafka, {
      groupId: config.groupId,
      topics: [config.topics.inventory, config.topics.payments, config.topics.deliveries],
      chunkSize: config.chunkSize,
      partitionsConcurrently: config.partitionsConcurrently,
      ...(config.fetchMaxPartitionBytes ? { maxBytesPerPartition: config.fetchMaxPartitionBytes } : {}),
      ...(config.fetchMaxBytes ? { maxBytes: config.fetchMaxBytes } : {}),
      handle: lifecycleChunkHandler({
        pool,
        apply,
        deadLetter: (letters) => sendDeadLetters(dlqProducer, config.groupId, letters),
        logger,
        metrics,
      }),
      onLag: (topic, partition, lag) =>
        lag === null
          ? metrics.lag.remove({ topic, partition: String(partition) })
          : metrics.lag.set({ topic, partition: String(partition) }, lag),
      onCrash: (error, restarting) => logger.error("consumer crashed", { err: error, restarting }),
    });
    await consumer.start();
    started.push(() => consumer.stop());

    // /readyz: the database and a Kafka broker answer now (not-ready during an outage of either).
    const kafkaProbe = createKafkaProbe({ brokers: config.brokers, clientId: `consumer-probe-${process.pid}` });
    started.push(() => kafkaProbe.close());
    const readiness = createReadiness({ database: () => pool.query("SELECT 1"), kafka: () => kafkaProbe.probe() });
    const server: OpsServer | null =
      config.metricsPort === null
        ? null
        : await serveOps({
            registry,
            port: config.metricsPort,
            host: config.metricsHost ?? "127.0.0.1",
            readiness,
            // /health/pipeline: lag within its bound (docs/operations.md; not liveness).
            pipeline: createPipelineHealth([
              { name: "consumer_lag_records", value: () => gaugeMax(metrics.lag), max: config.healthMaxLagRecords ?? 10_000 },
            ]),
          });
    const metricsUrl = server ? `${server.url}/metrics` : null;

    return {
      metricsUrl,
      pool,
      boss,
      async stop() {
        await consumer.stop();
        if (stopWorkers) await stopWorkers();
        await boss.stop({ graceful: true, close: true, timeout: 10_000 });
        await dlqProducer.disconnect();
        await server?.close();
        await kafkaProbe.close();
        await pool.end();
      },
    };
  }
}
