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
import { ProjectorEnvSchema, toProjectorConfig } from "./config.ts";
import { startProjector } from "./wiring.ts";

const env = loadConfigOrExit(ProjectorEnvSchema);
const logger = createLogger({ service: "projector", level: env.LOG_LEVEL });
const shutdown = installShutdown(logger, { timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
// Registered first, so it runs last: spans of the shutdown itself are flushed too.
const tracing = startTracing({ service: "projector" }); // the one tracing.ts started
shutdown.onShutdown("tracing", () => tracing.shutdown());
routeKafkaLogs(logger.child({ component: "kafka" }));

const probe = createPool({ connectionString: env.READ_MODEL_DATABASE_URL, max: 1 });
await waitForDependency("read database", () => probe.query("SELECT 1"), logger);
await probe.end();
await waitForDependency(
  "kafka",
  async () => {
    const admin = createKafka({ brokers: env.KAFKA_BROKERS, clientId: "projector-probe", retries: 0 }).admin();
    await admin.connect();
    await admin.disconnect();
  },
  logger,
);

const projector = await startWithRetry("projector start-up", () => startProjector(toProjectorConfig(env), logger), logger, {
  attempts: 20,
});
shutdown.onShutdown("projector", () => projector.stop());
logger.info("projector running", { group: env.PROJECTOR_GROUP_ID, metrics: projector.metricsUrl });
if (projector.metricsUrl) announceListening("projector", projector.metricsUrl.replace(/\/metrics$/, ""));
