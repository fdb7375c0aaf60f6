import type { Logger } from "./logger.ts";

/**
 * Graceful shutdown on SIGTERM/SIGINT: runs the registered steps in reverse order of
 * registration (stop intake first, close pools last), each with a deadline, then exits 0.
 * A second signal exits at once.
 */
export interface Shutdown {
  /** Registers a step; steps run last-registered first. */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Runs the steps (also what the signal handler calls); resolves when all are done. */
  shutdown(reason: string): Promise<void>;
  readonly signal: AbortSignal;
}

export function installShutdown(logger: Logger, options: { timeoutMs?: number; exit?: boolean } = {}): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  const timeoutMs = options.timeoutMs ?? 20_000;

  const shutdown = (reason: string) => {
    running ??= (async () => {
      logger.info("shutting down", { reason });
      controller.abort();
      let failed = false;
      for (const { name, step } of [...steps].reverse()) {
        try {
          await Promise.race([
            step(),
            new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
          ]);
        } catch (error) {
          failed = true;
          logger.error("shutdown step failed", { step: name, err: error });
        }
      }
      logger.info("stopped", { clean: !failed });
      if (options.exit !== false) process.exit(failed ? 1 : 0);
    })();
    return running;
  };

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (running) process.exit(1);
      void shutdown(signal);
    });
  }
  return { onShutdown: (name, step) => steps.push({ name, step }), shutdown, signal: controller.signal };
}

/**
 * Start-up with bounded backoff (DESIGN §8): runs `start` until it succeeds, waiting 250 ms,
 * 500 ms … (capped at 5 s) between attempts; after `attempts` failures the process exits 1 with a
 * one-line reason. `start` must leave nothing running when it throws (a half-started process
 * would hold connections while the next attempt opens its own).
 */
export async function startWithRetry<T>(
  name: string,
  start: () => Promise<T>,
  logger: Logger,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts) {
        // One line, whatever the error looks like (an AggregateError of several addresses has an
        // empty message; some drivers put newlines in theirs).
        const code = (error as { code?: unknown } | null)?.code;
        const raw = error instanceof Error ? error.message || (typeof code === "string" ? code : error.name) : String(error);
        const message = raw.replace(/\s+/g, " ").trim();
        process.stderr.write(`${name} unreachable after ${attempts} attempts: ${message}\n`);
        process.exit(1);
      }
      logger.warn("dependency not ready", { dependency: name, attempt, err: error });
      await new Promise((r) => setTimeout(r, Math.min((options.delayMs ?? 250) * 2 ** (attempt - 1), 5_000)));
    }
  }
}

/** Waits until `probe` succeeds (bounded, as `startWithRetry`). */
export async function waitForDependency(
  name: string,
  probe: () => Promise<unknown>,
  logger: Logger,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<void> {
  await startWithRetry(name, probe, logger, options);
}
