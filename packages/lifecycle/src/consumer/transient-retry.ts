import { ChunkAbandonedError, type ChunkContext } from "@orders/kafka";

export interface Backoff {
  /** First wait after a failure; doubles on every further failure … */
  readonly initialDelayMs: number;
  /** … up to this, for as long as the failure lasts. */
  readonly maxDelayMs: number;
}

export interface RetryUntilDoneOptions {
  /** True: wait and try again (never gives up by itself). False: throw at once. */
  readonly retry: (error: unknown) => boolean;
  readonly context: ChunkContext;
  readonly backoff: Backoff;
  /** Called before each wait (for logs and metrics). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Called once when the first wait starts and once when the work is done or given up. */
  readonly onWaiting?: (waiting: boolean) => void;
}

/** Longest sleep between two looks at the context: a stop is noticed and heartbeats go out within it. */
const SLICE_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How `work` ended: its value, or the error `retry` refused to wait out. */
export type Attempted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Runs `work` until it succeeds or fails with an error `retry` refuses (returned, not thrown).
 * Meanwhile the partition is in effect paused: the group keeps the member (heartbeats), and the
 * wait throws `ChunkAbandonedError` (nothing committed, nothing dead-lettered) once the consumer
 * is stopping or the partition went elsewhere; a heartbeat's own error (a rebalance) is thrown
 * as is, for kafkajs to handle.
 */
export async function retryUntilDone<T>(work: () => Promise<T>, options: RetryUntilDoneOptions): Promise<Attempted<T>> {
  const { context, backoff } = options;
  const heartbeats = heartbeater(context);
  let waiting = false;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await work() };
      } catch (error) {
        if (error instanceof ChunkAbandonedError) throw error;
        if (!options.retry(error)) return { ok: false, error };
        const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
        // ±20 % jitter: consumers that failed together do not all come back in the same instant.
        const delay = Math.round(base * (0.8 + Math.random() * 0.4));
        if (!waiting) {
          waiting = true;
          options.onWaiting?.(true);
        }
        options.onRetry?.(error, attempt, delay);
        await pause(delay, context, heartbeats, error);
      }
    }
  } finally {
    if (waiting) options.onWaiting?.(false);
  }
}

/**
 * Heartbeats without waiting for them: a heartbeat's response can queue behind a fetch's long
 * poll on the broker connection for seconds, and a stop must not wait for that. Its failure
 * (a rebalance) is kept and ends the wait at the next look.
 */
function heartbeater(context: ChunkContext) {
  let inFlight = false;
  let failed: { error: unknown } | null = null;
  return {
    beat() {
      if (inFlight) return;
      inFlight = true;
      context.heartbeat().then(
        () => {
          inFlight = false;
        },
        (error: unknown) => {
          inFlight = false;
          failed = { error };
        },
      );
    },
    failure: () => failed,
  };
}

async function pause(ms: number, context: ChunkContext, heartbeats: ReturnType<typeof heartbeater>, cause: unknown): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (!context.isRunning()) throw new ChunkAbandonedError("consumer stopping while waiting out a failure", { cause });
    if (context.isStale()) throw new ChunkAbandonedError("partition reassigned while waiting out a failure", { cause });
    // A rebalance: thrown as is, kafkajs rejoins and the uncommitted chunk comes again.
    const failed = heartbeats.failure();
    if (failed) throw failed.error;
    heartbeats.beat();
    const left = until - Date.now();
    if (left <= 0) return;
    await sleep(Math.min(left, SLICE_MS));
  }
}
