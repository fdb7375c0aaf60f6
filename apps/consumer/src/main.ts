import { createPool } from "@orders/db";
import { createKafka } from "@orders/kafka";
import { announceListening, createLogger, installShutdown, loadConfigOrExit, waitForDependency } from "@orders/runtime";
import { ConsumerEnvSchema, toConsumerConfig } from "./config.ts";
import { startConsumer } from "./wiring.ts";

const env = loadConfigOrExit(ConsumerEnvSchema);
const logger = createLogger({ service: "consumer", level: env.LOG_LEVEL });
const shutdown = installShutdown(logger);

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

const consumer = await startConsumer(toConsumerConfig(env), logger);
shutdown.onShutdown("consumer", () => consumer.stop());
logger.info("consumer running", { group: env.CONSUMER_GROUP_ID, metrics: consumer.metricsUrl });
if (consumer.metricsUrl) announceListening("consumer", consumer.metricsUrl.replace(/\/metrics$/, ""));
