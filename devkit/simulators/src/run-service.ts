import { routeKafkaLogs } from "@orders/kafka";
import { createLogger, installShutdown, type Logger, type LogLevel, loadConfig, type Shutdown, startTracing } from "@orders/runtime";
import type * as v from "valibot";

export interface SimulatorProcess<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly shutdown: Shutdown;
}

/**
 * Start-up shared by every simulator's main.ts: validates the environment (a bad variable
 * prints the message and exits 1), then the JSON logger (the Kafka clients' logs through it),
 * tracing from OTEL_* (context propagation either way: answers carry their cause's trace) and
 * SIGTERM handling.
 */
export function startSimulatorProcess<S extends v.GenericSchema<unknown, { LOG_LEVEL: LogLevel }>>(
  schema: S,
  service: string,
): SimulatorProcess<v.InferOutput<S>> {
  let config: v.InferOutput<S>;
  try {
    config = loadConfig(schema);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ service, level: config.LOG_LEVEL });
  routeKafkaLogs(logger.child({ component: "kafka" }));
  const tracing = startTracing({ service });
  const shutdown = installShutdown(logger);
  shutdown.onShutdown("tracing", () => tracing.shutdown());
  return { config, logger, shutdown };
}
