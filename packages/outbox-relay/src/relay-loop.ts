import { armOutboxWakeup, disarmOutboxWakeup, outboxHasPending } from "@orders/db";
import { type DrainOptions, type DrainResult, drainBatch } from "./drain.ts";

export interface RelayLoopOptions extends DrainOptions {
  /** Drain at least this often even when idle and not woken (lost notifications, late commits). */
  readonly sweepIntervalMs: number;
  /**
   * While traffic is recent: after a claim that found rows the next one follows at once; after an
   * empty one it waits this long, doubling with every further empty claim.
   */
  readonly pollIntervalMs?: number;
  /**
   * Claims empty for this long: the relay is idle. It arms the database's wake-up flag (writers
   * then NOTIFY; migration 0120), looks once more, and sleeps until notified or the sweep.
   */
  readonly idleAfterMs?: number;
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
 * while batches come back full. The first worker polls while traffic is recent — at once after a
 * claim that found rows, `pollIntervalMs` after an empty one, doubling while claims stay empty —
 * and after `idleAfterMs`
 * without rows goes idle: it arms the wake-up flag, claims once more (a row committed before
 * the flag was up sent no NOTIFY), once more after `idleAfterMs` (a writer whose statement read
 * the flag just before it went up and committed after that claim), then sleeps until woken
 * (NOTIFY, sweep job, another worker's commit) or the sweep interval passes. Woken, it disarms
 * the flag, so writers stop notifying as soon as a relay polls again: under load no writer's
 * commit carries a NOTIFY (issue 17; docs/relay.md "Wake-ups"). While rows wait on another
 * batch in flight, the idle worker polls every `pendingPollMs` instead of sleeping.
 */
export function startRelayLoop(options: RelayLoopOptions): RelayLoop {
  const { logger } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let stopped = false;
  let backoff = options.backoffMs;
  const pollMs = Math.max(1, options.pollIntervalMs ?? 5);
  const idleAfterMs = Math.max(pollMs, options.idleAfterMs ?? 50);
  const slots: Slot[] = Array.from({ length: concurrency }, () => ({ woken: false, wakeUp: undefined }));
  /** Whether this instance armed the wake-up flag and has not disarmed it since. */
  let armed = false;
  let wakeupWarned = false;
  /** Flag writes run one after the other: a disarm still in flight must not land after a later arm. */
  let wakeupWrites: Promise<void> = Promise.resolve();
  const setWakeup = (on: boolean): Promise<void> => {
    armed = on;
    wakeupWrites = wakeupWrites.then(async () => {
      try {
        await (on ? armOutboxWakeup : disarmOutboxWakeup)(options.pool);
      } catch (error) {
        // Not fatal: unarmed, the sweep still finds new rows; left armed, writers notify a little longer.
        if (on) armed = false;
        const log = wakeupWarned ? logger.debug : logger.warn;
        wakeupWarned = true;
        log.call(logger, `could not ${on ? "arm" : "disarm"} the outbox wake-up; the sweep finds new rows meanwhile`, { err: error });
      }
    });
    return wakeupWrites;
  };

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

  /** When the first worker last claimed rows, and how long it sleeps before the next claim while none come. */
  let lastRowsAt = Number.NEGATIVE_INFINITY;
  let interval = pollMs;
  /** 0 polling; 1 armed: claim once more at once; 2 then once more after `idleAfterMs`; 3 asleep. */
  let idleStep = 0;
  /**
   * A wake-up came from outside (a NOTIFY, the LISTEN connection's (re)connect, the sweep job):
   * someone may have left the flag armed — another relay, or this one before a restart — so the
   * first worker disarms it even if it did not arm it itself. A NOTIFY means it is armed.
   */
  let externalWake = false;

  /** The first worker found rows, or was woken: traffic is recent again, writers stop notifying. */
  const busy = () => {
    lastRowsAt = performance.now();
    interval = pollMs;
    idleStep = 0;
    if (armed) {
      externalWake = false;
      void setWakeup(false);
    }
  };
  const takeExternalWake = () => {
    if (!externalWake) return;
    externalWake = false;
    if (!armed) void setWakeup(false);
  };

  /**
   * The first worker after a claim that was not full: poll again shortly while traffic is
   * recent, else go idle (arm, look twice more, sleep on the signal).
   */
  const rest = async (slot: Slot) => {
    const quiet = performance.now() - lastRowsAt;
    if (quiet < idleAfterMs) {
      await sleep(slot, Math.min(interval, idleAfterMs - quiet), true);
      interval *= 2;
      return;
    }
    if (await pending()) {
      // Rows held back by another batch in flight (whose commit notifies nobody): poll.
      await sleep(slot, options.pendingPollMs, true);
      return;
    }
    if (idleStep === 0 || (idleStep === 3 && !armed)) {
      idleStep = 1;
      await setWakeup(true);
      return; // claim once more at once: rows committed before the flag was up sent no NOTIFY
    }
    // Asleep and armed, a sweep renews the flag: writers ignore one nobody renewed for 10 minutes
    // (migration 0150), which is how it goes down once no relay is left to disarm it.
    if (idleStep === 3) void setWakeup(true);
    const ms = idleStep === 1 ? idleAfterMs : options.sweepIntervalMs;
    idleStep = idleStep === 1 ? 2 : 3;
    await sleep(slot, ms, true);
    if (slot.woken) busy();
  };

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
      if (index === 0) takeExternalWake();
      if (index === 0 && (result.claimed > 0 || (slot.woken && idleStep > 0))) busy();
      // Rows went out: claim again at once (what committed meanwhile), as a NOTIFY per commit used
      // to make it do; an empty claim (or one whose rows the broker refused) waits.
      if (result.published > 0 || slot.woken) continue;
      if (index === 0) {
        await rest(slot);
        continue;
      }
      // An extra worker whose batch was not full: the backlog is gone, the first worker polls.
      await sleep(slot, options.sweepIntervalMs, true);
    }
  };

  const done = Promise.all(slots.map((slot, index) => work(slot, index))).catch((error: unknown) => {
    logger.error("relay loop crashed", { err: error });
    throw error;
  });

  return {
    wake: () => {
      externalWake = true;
      wakeAll();
    },
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
