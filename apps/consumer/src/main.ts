// Must stay first: tracing registers before pg is loaded (see tracing.ts).
import "./tracing.ts";
import { createPool } from "@orders/db";
import { createKafka, routeKafkaLogs } from "@orders/kafka";
import {
  announceListening,
  createLogger,
  installShutdown,
  loadConfigOrExit,
  startTracing,
  startWithRetry,
  waitForDependency,
} from "@orders/runtime";
import { ConsumerEnvSchema, DEPRECATED_CONSUMER_ENV, toConsumerConfig } from "./config.ts";
import { startConsumer } from "./wiring.ts";

const env = loadConfigOrExit(ConsumerEnvSchema, { deprecated: DEPRECATED_CONSUMER_ENV });
const logger = createLogger({ service: "consumer", level: env.LOG_LEVEL });
const shutdown = installShutdown(logger, { timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
// Registered first, so it runs last: spans of the shutdown itself are flushed too.
const tracing = startTracing({ service: "consumer" }); // the one tracing.ts started
shutdown.onShutdown("tracing", () => tracing.shutdown());
routeKafkaLogs(logger.child({ component: "kafka" }));

const probe = createPool({ connectionString: env.DATABASE_URL, max: 1 });
await waitForDependency("postgresql", () => probe.query("SELECT 1"), logger);
await probe.end();
await waitForDependency(
  "kafka",
  async () => {
    const admin = createKafka({ brokers: env.KAFKA_BROKERS, clientId: "consumer-probe", retries: 0 }).admin();
    await admin.connect();
    await admin.disconnect();
  },
  logger,
);

// PostgreSQL or Kafka may go away between the probes above and the start (a restart during a
// deploy): the whole start is retried, bounded, rather than exiting on the first refusal.
const consumer = await startWithRetry("consumer start-up", () => startConsumer(toConsumerConfig(env), logger), logger, {
  attempts: 20,
});
shutdown.onShutdown("consumer", () => consumer.stop());
logger.info("consumer running", { group: env.CONSUMER_GROUP_ID, metrics: consumer.metricsUrl });
if (consumer.metricsUrl) announceListening("consumer", consumer.metricsUrl.replace(/\/metrics$/, ""));
