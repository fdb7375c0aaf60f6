import { announceListening, createLogger, installShutdown, loadConfigOrExit } from "@orders/runtime";
import { type RelayConfig, RelayConfigSchema } from "./config.ts";
import { startRelay } from "./wiring.ts";

// DATABASE_URL and KAFKA_BROKERS are required here; `npm run start:local` (src/local.ts) provides
// throw-away local servers for development — production never imports the embedded servers.
const config: RelayConfig = loadConfigOrExit(RelayConfigSchema, { required: ["DATABASE_URL", "KAFKA_BROKERS"] });
const logger = createLogger({ service: "relay", level: config.LOG_LEVEL });
const shutdown = installShutdown(logger, { timeoutMs: config.SHUTDOWN_TIMEOUT_MS });

const relay = await startRelay(config, logger);
shutdown.onShutdown("relay", () => relay.stop());
announceListening("relay", relay.metricsUrl.replace(/\/metrics$/, ""));
