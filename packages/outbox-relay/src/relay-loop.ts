import { outboxHasPending } from "@orders/db";
import { type DrainOptions, type DrainResult, drainBatch } from "./drain.ts";

export interface RelayLoopOptions extends DrainOptions {
  /** Drain at least this often even without a NOTIFY (lost notifications, late commits). */
  readonly sweepIntervalMs: number;
  /** Poll interval while rows exist that are not readable yet (older transaction still open). */
  readonly pendingPollMs: number;
  /** First back-off after a failed batch; doubles up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /**
   * Batches in flight at once while there is a backlog (default 1): each is its own claim
   * transaction on its own connection, so claiming/marking one overlaps sending another. At a
   * steady trickle one batch at a time is faster (see `backlogged`). Per-aggregate order holds
   * for the same reason it holds across relay instances: a batch never holds a row whose
   * aggregate has an earlier row unpublished (locked by another batch or not), so batches in
   * flight never share an aggregate.
   */
  readonly concurrency?: number;
  readonly onBatch?: (result: DrainResult) => void;
}

export interface RelayLoop {
  /** Drain now (a NOTIFY, a sweep job). */
  wake(): void;
  /** Stops after the batches in flight are finished (published and marked, or rolled back). */
  stop(): Promise<void>;
  readonly running: boolean;
}

interface Slot {
  woken: boolean;
  wakeUp: (() => void) | undefined;
}

/**
 * The drain loop of one relay instance: `concurrency` workers, each draining back-to-back
 * while batches come back full, otherwise sleeping until woken (NOTIFY, sweep job, another
 * worker's commit), the sweep interval passes, or — when rows are waiting on an open
 * transaction or another batch — a short poll.
 */
export function startRelayLoop(options: RelayLoopOptions): RelayLoop {
  const { logger } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let stopped = false;
  let backoff = options.backoffMs;
  const slots: Slot[] = Array.from({ length: concurrency }, () => ({ woken: false, wakeUp: undefined }));

  /**
   * `wakeable`: a wake-up (or one that came in since the slot last looked) ends the sleep.
   * Back-off sleeps are not wakeable — a NOTIFY storm during a broker outage must not turn
   * the back-off into a busy loop — only `stop()` ends them.
   */
  const sleep = (slot: Slot, ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      if (stopped || (wakeable && slot.woken)) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        slot.wakeUp = undefined;
        resolve();
      }
      slot.wakeUp = () => {
        if (wakeable || stopped) done();
      };
    });

  const wakeAll = (except?: Slot) => {
    for (const slot of slots) {
      if (slot === except) continue;
      slot.woken = true;
      slot.wakeUp?.();
    }
  };

  const pending = () => outboxHasPending(options.pool).catch(() => true);
  /**
   * Whether the last batch came back full. Only then do the extra workers claim: a batch in
   * flight is an open transaction with an xid, which holds back `pg_snapshot_xmin` — a row
   * committed meanwhile cannot be read until that batch commits. At a steady trickle a second
   * batch in flight therefore adds its whole send time to the next row's latency (bench/relay:
   * p99 28 ms with two in flight, 15 ms with one, at 1 000 orders/s) and buys no throughput;
   * with a backlog the rows are older than every batch and the overlap is pure gain.
   */
  let backlogged = false;

  const work = async (slot: Slot, index: number) => {
    while (!stopped) {
      if (options.publisher.isOpen()) {
        // Claiming rows now could only fail them: wait for the breaker's half-open window.
        await sleep(slot, options.backoffMs, false);
        continue;
      }
      if (index > 0 && !backlogged) {
        slot.woken = false;
        await sleep(slot, options.sweepIntervalMs, true);
        continue;
      }
      slot.woken = false;
      // drainBatch reports failures in its result; anything it still throws (a hook, a bug)
      // must not end this worker for good — it counts as a failed round and backs off.
      const result = await drainBatch(options).catch(
        (error: unknown): DrainResult => ({ claimed: 0, published: 0, failed: 0, parked: 0, error }),
      );
      options.onBatch?.(result);
      if (stopped) break;
      if (result.error !== undefined) {
        await sleep(slot, backoff, false);
        backoff = Math.min(backoff * 2, options.maxBackoffMs);
        continue;
      }
      backlogged = result.claimed >= options.batchSize;
      backoff = options.backoffMs;
      // A commit unblocks later rows of the same aggregates and moves the xmin horizon:
      // workers polling for "pending" rows can claim now instead of at their next poll.
      if (result.published > 0 && concurrency > 1) wakeAll(slot);
      if (result.claimed >= options.batchSize || slot.woken) continue;
      if (await pending()) await sleep(slot, options.pendingPollMs, true);
      else await sleep(slot, options.sweepIntervalMs, true);
    }
  };

  const done = Promise.all(slots.map((slot, index) => work(slot, index))).catch((error: unknown) => {
    logger.error("relay loop crashed", { err: error });
    throw error;
  });

  return {
    wake: () => wakeAll(),
    stop: async () => {
      stopped = true;
      for (const slot of slots) slot.wakeUp?.();
      await done;
    },
    get running() {
      return !stopped;
    },
  };
}
