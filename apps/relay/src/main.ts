import { migrate } from "@orders/db";
import { announceListening, createLogger, installShutdown, loadConfigOrExit } from "@orders/runtime";
import { type RelayConfig, RelayConfigSchema } from "./config.ts";
import { startRelay } from "./wiring.ts";

let config: RelayConfig = loadConfigOrExit(RelayConfigSchema);
const logger = createLogger({ service: "relay", level: config.LOG_LEVEL });
const shutdown = installShutdown(logger, { timeoutMs: config.SHUTDOWN_TIMEOUT_MS });

// DESIGN §7: without DATABASE_URL / KAFKA_BROKERS run on throw-away local servers (dev, demo).
if (!config.DATABASE_URL) {
  const { startLocalPostgres } = await import("@orders/local-postgres");
  const pg = await startLocalPostgres();
  await migrate(pg.url);
  shutdown.onShutdown("local-postgres", () => pg.stop());
  config = { ...config, DATABASE_URL: pg.url };
  logger.warn("DATABASE_URL not set: started a throw-away local PostgreSQL", { url: pg.url });
}
if (!config.KAFKA_BROKERS) {
  const { startKafka } = await import("@orders/local-kafka");
  const kafka = await startKafka({ partitions: config.KAFKA_TOPIC_PARTITIONS });
  shutdown.onShutdown("local-kafka", () => kafka.stop());
  config = { ...config, KAFKA_BROKERS: kafka.bootstrap };
  logger.warn("KAFKA_BROKERS not set: started a throw-away local Kafka broker", { brokers: kafka.bootstrap });
}

const relay = await startRelay(config, logger);
shutdown.onShutdown("relay", () => relay.stop());
announceListening("relay", relay.metricsUrl.replace(/\/metrics$/, ""));
