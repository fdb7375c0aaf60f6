// Must stay first: tracing registers before pg is loaded (see tracing.ts).
import "./tracing.ts";
import { routeKafkaLogs } from "@orders/kafka";
import { announceListening, createLogger, installShutdown, loadConfigOrExit, startTracing, startWithRetry } from "@orders/runtime";
import { type RelayConfig, RelayConfigSchema } from "./config.ts";
import { startRelay } from "./wiring.ts";

// DATABASE_URL and KAFKA_BROKERS are required here; `npm run start:local` (src/local.ts) provides
// throw-away local servers for development — production never imports the embedded servers.
const config: RelayConfig = loadConfigOrExit(RelayConfigSchema, { required: ["DATABASE_URL", "KAFKA_BROKERS"] });
const logger = createLogger({ service: "relay", level: config.LOG_LEVEL });
const shutdown = installShutdown(logger, { timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
// Registered first, so it runs last: spans of the shutdown itself are flushed too.
const tracing = startTracing({ service: "relay" }); // the one tracing.ts started
shutdown.onShutdown("tracing", () => tracing.shutdown());
routeKafkaLogs(logger.child({ component: "kafka" }));

// A server may go away during start-up (a restart during a deploy): the whole start (which stops
// whatever it started when a step fails) is retried, bounded, before exiting with one line.
const relay = await startWithRetry("relay start-up", () => startRelay(config, logger), logger, { attempts: 20 });
shutdown.onShutdown("relay", () => relay.stop());
announceListening("relay", relay.metricsUrl.replace(/\/metrics$/, ""));
