import { outboxHasPending } from "@orders/db";
import type pg from "pg";
import { type DrainOptions, type DrainResult, drainBatch } from "./drain.ts";

export interface RelayLoopOptions extends DrainOptions {
  /** Drain at least this often even without a NOTIFY (lost notifications, late commits). */
  readonly sweepIntervalMs: number;
  /** Poll interval while rows exist that are not readable yet (older transaction still open). */
  readonly pendingPollMs: number;
  /** First back-off after a failed batch; doubles up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly onBatch?: (result: DrainResult) => void;
}

export interface RelayLoop {
  /** Drain now (a NOTIFY, a sweep job). */
  wake(): void;
  /** Stops after the batch in flight is finished (published and marked, or rolled back). */
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * The drain loop of one relay instance: drains back-to-back while batches come back full,
 * otherwise sleeps until woken, the sweep interval passes, or — when rows are waiting on an
 * open transaction or another relay's batch — a short poll.
 */
export function startRelayLoop(options: RelayLoopOptions): RelayLoop {
  const { logger } = options;
  let stopped = false;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  let backoff = options.backoffMs;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const pending = (pool: pg.Pool) => outboxHasPending(pool).catch(() => true);

  const loop = async () => {
    while (!stopped) {
      if (options.publisher.isOpen()) {
        // Claiming rows now could only fail them: wait for the breaker's half-open window.
        await sleep(options.backoffMs);
        woken = false;
        if (options.publisher.isOpen()) continue;
      }
      woken = false;
      const result = await drainBatch(options);
      options.onBatch?.(result);
      if (stopped) break;
      if (result.error !== undefined) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, options.maxBackoffMs);
        continue;
      }
      backoff = options.backoffMs;
      if (result.claimed >= options.batchSize || woken) continue;
      if (await pending(options.pool)) await sleep(options.pendingPollMs);
      else await sleep(options.sweepIntervalMs);
    }
  };

  const done = loop().catch((error: unknown) => {
    logger.error("relay loop crashed", { err: error });
    throw error;
  });

  return {
    wake: () => {
      woken = true;
      wakeUp?.();
    },
    stop: async () => {
      stopped = true;
      wakeUp?.();
      await done;
    },
    get running() {
      return !stopped;
    },
  };
}
