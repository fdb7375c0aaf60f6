import { announceListening } from "./announce.ts";
import { createLogger, type Logger, type LogLevel } from "./logger.ts";
import { installShutdown, type Shutdown, startWithRetry, waitForDependency } from "./shutdown.ts";
import { startTracing } from "./tracing.ts";

/** What a worker app's `start` returns: something to stop, and where its metrics are served. */
export interface WorkerProcess {
  stop(): Promise<void> | void;
  readonly metricsUrl?: string | null | undefined;
}

/** A dependency waited for (bounded, as `waitForDependency`) before the start; `release` runs once it answered. */
export interface WorkerDependency {
  readonly name: string;
  probe(): Promise<unknown>;
  release?(): Promise<unknown>;
}

export interface RunWorkerOptions<W extends WorkerProcess> {
  /** Service name: logger, tracing, shutdown step, announcement and log lines. */
  readonly service: string;
  readonly logLevel?: LogLevel;
  readonly shutdownTimeoutMs?: number;
  /** After tracing, before the probes (e.g. a client library's logs routed to `logger`). */
  readonly routeLogs?: (logger: Logger) => void;
  readonly dependencies?: readonly WorkerDependency[];
  /** The start; retried, bounded, as a whole (it must stop whatever it started when it throws). */
  readonly start: (logger: Logger) => Promise<W>;
  /** When given, "<service> running" is logged with these fields once started. */
  readonly runningFields?: (worker: W) => Record<string, unknown>;
}

/**
 * The start-up sequence every worker app's main.ts shares (DESIGN §8): logger, SIGTERM/SIGINT
 * shutdown, tracing (its shutdown step registered first, so it runs last: spans of the shutdown
 * itself are flushed too), the dependency probes, the start with bounded retries (a server may go
 * away between the probes and the start, e.g. a restart during a deploy), the worker's stop as a
 * shutdown step, and the announcement of its ops server.
 */
export async function runWorker<W extends WorkerProcess>(
  options: RunWorkerOptions<W>,
): Promise<{ worker: W; logger: Logger; shutdown: Shutdown }> {
  const { service } = options;
  const logger = createLogger({ service, level: options.logLevel });
  const shutdown = installShutdown(logger, { timeoutMs: options.shutdownTimeoutMs });
  const tracing = startTracing({ service }); // the one the app's tracing.ts started
  shutdown.onShutdown("tracing", () => tracing.shutdown());
  options.routeLogs?.(logger);

  for (const dependency of options.dependencies ?? []) {
    await waitForDependency(dependency.name, () => dependency.probe(), logger);
    await dependency.release?.();
  }

  const worker = await startWithRetry(`${service} start-up`, () => options.start(logger), logger, { attempts: 20 });
  shutdown.onShutdown(service, () => worker.stop());
  if (options.runningFields) logger.info(`${service} running`, options.runningFields(worker));
  if (worker.metricsUrl) announceListening(service, worker.metricsUrl.replace(/\/metrics$/, ""));
  return { worker, logger, shutdown };
}
