import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPool, type Pool, type SessionTimeouts } from "@orders/db";
import { followUpEnqueuer, httpPaymentClient, type PgBoss, startBoss, startSagaWorkers } from "@orders/jobs";
import {
  type BatchConsumer,
  createBatchConsumer,
  createIdempotentProducer,
  createKafka,
  createKafkaProbe,
  type Producer,
  sendDeadLetters,
  type TopicNames,
} from "@orders/kafka";
import {
  buildCallPolicy,
  type CallPolicyOptions,
  createMetricsRegistry,
  createReadiness,
  type Logger,
  prometheus,
  readinessResponse,
} from "@orders/runtime";
import { lifecycleChunkHandler } from "./handler.ts";
import { consumerMetrics } from "./metrics.ts";

export interface LifecycleConsumerConfig {
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly topics: TopicNames;
  readonly paymentUrl: string;
  readonly maxPaymentAttempts: number;
  readonly pendingDeadlineMs: number;
  readonly deadlineCron: string;
  /** Payment reconciliation: schedule and thresholds (docs/lifecycle.md). */
  readonly reconcile: {
    readonly cron: string;
    readonly minAgeMs: number;
    readonly pendingBoundMs: number;
    readonly lookbackMs: number;
  };
  /** Seconds between pg-boss schedule evaluations (bounds the deadline sweep's lateness). */
  readonly cronCheckSeconds?: number;
  readonly chunkSize: number;
  readonly partitionsConcurrently: number;
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

export interface RunningConsumer {
  readonly metricsUrl: string | null;
  readonly pool: Pool;
  readonly boss: PgBoss;
  /** Stops intake (finishes and commits the chunk in hand), then workers, then connections. */
  stop(): Promise<void>;
}

/** Wires and starts the consumer: Kafka group member, job workers, /metrics. */
export async function startLifecycleConsumer(config: LifecycleConsumerConfig, logger: Logger): Promise<RunningConsumer> {
  const registry = createMetricsRegistry("consumer");
  const metrics = consumerMetrics(registry);
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.poolMax,
    applicationName: "consumer",
    ...config.sessionTimeouts,
  });
  const boss = await startBoss({
    connectionString: config.databaseUrl,
    ...(config.sessionTimeouts?.idleInTransactionTimeoutMs
      ? { idleInTransactionTimeoutMs: config.sessionTimeouts.idleInTransactionTimeoutMs }
      : {}),
    max: 4,
    retryLimit: config.jobRetryLimit,
    ...(config.cronCheckSeconds ? { cronCheckSeconds: config.cronCheckSeconds } : {}),
    schedule: config.runJobWorkers,
  });
  const apply = {
    consumer: config.groupId,
    source: config.source,
    decision: { maxPaymentAttempts: config.maxPaymentAttempts },
    enqueueFollowUps: followUpEnqueuer(boss),
  };

  const jobSeconds = new prometheus.Histogram({
    name: "consumer_job_seconds",
    help: "Saga job run time by queue and outcome",
    labelNames: ["queue", "outcome"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const reconcileChecked = new prometheus.Counter({
    name: "consumer_payment_reconcile_checked_total",
    help: "Orders compared with the payment service's record by reconciliation",
    registers: [registry],
  });
  const reconcileMismatches = new prometheus.Counter({
    name: "consumer_payment_reconcile_mismatches_total",
    help: "Disagreements between an order's payment and the payment service's record, by kind",
    labelNames: ["mismatch"],
    registers: [registry],
  });
  const reconcileRepairs = new prometheus.Counter({
    name: "consumer_payment_reconcile_repairs_total",
    help: "What reconciliation did about each mismatch (repaired, reported for a human, failed and retried next run)",
    labelNames: ["mismatch", "result"],
    registers: [registry],
  });
  let stopWorkers: (() => Promise<void>) | null = null;
  if (config.runJobWorkers) {
    const { policy, breaker } = buildCallPolicy(config.paymentPolicy);
    breaker.onStateChange((state) => logger.warn("payment circuit breaker", { state: String(state) }));
    stopWorkers = await startSagaWorkers(boss, {
      pool,
      payments: httpPaymentClient(config.paymentUrl, policy),
      logger: logger.child({ part: "jobs" }),
      deadline: { deadlineMs: config.pendingDeadlineMs, apply },
      deadlineCron: config.deadlineCron,
      onJob: (queue, outcome, seconds) => jobSeconds.observe({ queue, outcome }, seconds),
      reconcile: {
        cron: config.reconcile.cron,
        options: {
          minAgeMs: config.reconcile.minAgeMs,
          pendingBoundMs: config.reconcile.pendingBoundMs,
          lookbackMs: config.reconcile.lookbackMs,
        },
        onReport: (report) => {
          reconcileChecked.inc(report.checked);
          for (const f of report.findings) {
            reconcileMismatches.inc({ mismatch: f.mismatch });
            reconcileRepairs.inc({ mismatch: f.mismatch, result: f.result });
          }
        },
      },
    });
  }

  const kafka = createKafka({ brokers: config.brokers, clientId: `consumer-${process.pid}` });
  const dlqProducer: Producer = createIdempotentProducer(kafka);
  await dlqProducer.connect();
  const consumer: BatchConsumer = createBatchConsumer(kafka, {
    groupId: config.groupId,
    topics: [config.topics.inventory, config.topics.payments, config.topics.deliveries],
    chunkSize: config.chunkSize,
    partitionsConcurrently: config.partitionsConcurrently,
    handle: lifecycleChunkHandler({
      pool,
      apply,
      deadLetter: (letters) => sendDeadLetters(dlqProducer, config.groupId, letters),
      logger,
      metrics,
    }),
    onLag: (topic, partition, lag) => metrics.lag.set({ topic, partition: String(partition) }, lag),
    onCrash: (error, restarting) => logger.error("consumer crashed", { err: error, restarting }),
  });
  await consumer.start();

  // /readyz: the database and a Kafka broker answer now (not-ready during an outage of either).
  const kafkaProbe = createKafkaProbe({ brokers: config.brokers, clientId: `consumer-probe-${process.pid}` });
  const readiness = createReadiness({ database: () => pool.query("SELECT 1"), kafka: () => kafkaProbe.probe() });
  let server: Server | null = null;
  let metricsUrl: string | null = null;
  if (config.metricsPort !== null) {
    server = createServer(async (req, res) => {
      if (req.url === "/metrics") {
        res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
      } else if (req.url === "/readyz") {
        const { status, body } = readinessResponse(await readiness.check());
        res.writeHead(status, { "content-type": "application/json" }).end(body);
      } else if (req.url === "/healthz") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      } else {
        res.writeHead(404).end();
      }
    });
    const host = config.metricsHost ?? "127.0.0.1";
    await new Promise<void>((resolve) => server?.listen(config.metricsPort ?? 0, host, resolve));
    metricsUrl = `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
  }

  return {
    metricsUrl,
    pool,
    boss,
    async stop() {
      await consumer.stop();
      if (stopWorkers) await stopWorkers();
      await boss.stop({ graceful: true, close: true, timeout: 10_000 });
      await dlqProducer.disconnect();
      if (server) await new Promise<void>((r) => server?.close(() => r()));
      await kafkaProbe.close();
      await pool.end();
    },
  };
}
