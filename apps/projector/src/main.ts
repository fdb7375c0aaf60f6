// Must stay first: tracing registers before pg is loaded (see tracing.ts).
import "./tracing.ts";
import { createPool } from "@orders/db";
import { connectOnce, routeKafkaLogs } from "@orders/kafka";
import { loadConfigOrExit, runWorker } from "@orders/runtime";
import { ProjectorEnvSchema, toProjectorConfig } from "./config.ts";
import { startProjector } from "./wiring.ts";

const env = loadConfigOrExit(ProjectorEnvSchema);
const probe = createPool({ connectionString: env.READ_MODEL_DATABASE_URL, max: 1 });
await runWorker({
  service: "projector",
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  routeLogs: (logger) => routeKafkaLogs(logger.child({ component: "kafka" })),
  dependencies: [
    { name: "read database", probe: () => probe.query("SELECT 1"), release: () => probe.end() },
    { name: "kafka", probe: () => connectOnce({ brokers: env.KAFKA_BROKERS, clientId: "projector-probe" }) },
  ],
  start: (logger) => startProjector(toProjectorConfig(env), logger),
  runningFields: (projector) => ({ group: env.PROJECTOR_GROUP_ID, metrics: projector.metricsUrl }),
});
