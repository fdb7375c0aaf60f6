// Must stay first: tracing registers before pg is loaded (see tracing.ts).
import "./tracing.ts";
import { createPool } from "@orders/db";
import { connectOnce, routeKafkaLogs } from "@orders/kafka";
import { loadConfigOrExit, runWorker } from "@orders/runtime";
import { ConsumerEnvSchema, DEPRECATED_CONSUMER_ENV, toConsumerConfig } from "./config.ts";
import { startConsumer } from "./wiring.ts";

const env = loadConfigOrExit(ConsumerEnvSchema, { deprecated: DEPRECATED_CONSUMER_ENV });
const probe = createPool({ connectionString: env.DATABASE_URL, max: 1 });
await runWorker({
  service: "consumer",
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  routeLogs: (logger) => routeKafkaLogs(logger.child({ component: "kafka" })),
  dependencies: [
    { name: "postgresql", probe: () => probe.query("SELECT 1"), release: () => probe.end() },
    { name: "kafka", probe: () => connectOnce({ brokers: env.KAFKA_BROKERS, clientId: "consumer-probe" }) },
  ],
  start: (logger) => startConsumer(toConsumerConfig(env), logger),
  runningFields: (consumer) => ({ group: env.CONSUMER_GROUP_ID, metrics: consumer.metricsUrl }),
});
