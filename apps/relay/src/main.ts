// Must stay first: tracing registers before pg is loaded (see tracing.ts).
import "./tracing.ts";
import { routeKafkaLogs } from "@orders/kafka";
import { loadConfigOrExit, runWorker } from "@orders/runtime";
import { type RelayConfig, RelayConfigSchema } from "./config.ts";
import { startRelay } from "./wiring.ts";

// DATABASE_URL and KAFKA_BROKERS are required here; `npm run start:local` (src/local.ts) provides
// throw-away local servers for development — production never imports the embedded servers.
const config: RelayConfig = loadConfigOrExit(RelayConfigSchema, { required: ["DATABASE_URL", "KAFKA_BROKERS"] });
// The start (which stops whatever it started when a step fails) waits for its servers itself.
await runWorker({
  service: "relay",
  logLevel: config.LOG_LEVEL,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  routeLogs: (logger) => routeKafkaLogs(logger.child({ component: "kafka" })),
  start: (logger) => startRelay(config, logger),
});
