import { type Pool, pendingOrdersCreatedBefore, TRANSACTION_RETRIES, withTransaction } from "@orders/db";
import type { PgBoss } from "pg-boss";
import { type ApplyOptions, type ApplyOutcome, applyEvents } from "../apply-events.ts";

export interface DeadlineSweepOptions {
  /** How long an order may stay PENDING. */
  readonly deadlineMs: number;
  /** Orders per transaction. */
  readonly batchSize?: number;
  readonly apply: Omit<ApplyOptions, "consumer">;
  readonly now?: () => Date;
}

/** processed_messages name of the sweep; its message id per order is `timeout:<orderId>`. */
export const DEADLINE_CONSUMER = "pending-deadline";

/**
 * Cancels every order still PENDING past the deadline with reason `timeout`, through the same
 * decision table as Kafka events (a late answer afterwards is handled there). Safe to run
 * concurrently and repeatedly: the per-order message id makes each timeout apply once.
 */
export async function sweepPendingDeadline(pool: Pool, options: DeadlineSweepOptions): Promise<{ cancelled: number }> {
  const cutoff = new Date((options.now?.() ?? new Date()).getTime() - options.deadlineMs);
  const batchSize = options.batchSize ?? 200;
  let cancelled = 0;
  for (;;) {
    const ids = await pendingOrdersCreatedBefore(pool, cutoff, batchSize);
    if (ids.length === 0) return { cancelled };
    const outcomes: ApplyOutcome[] = await withTransaction(
      pool,
      (client) =>
        applyEvents(
          client,
          ids.map((orderId) => ({ orderId, messageId: `timeout:${orderId}`, event: { type: "PendingTimeout" as const } })),
          { ...options.apply, consumer: DEADLINE_CONSUMER },
        ),
      { retries: TRANSACTION_RETRIES },
    );
    const applied = outcomes.filter((o) => o.kind === "applied").length;
    cancelled += applied;
    // Nothing moved (all skipped/duplicate): another sweeper is on the same rows; stop here.
    if (applied === 0 || ids.length < batchSize) return { cancelled };
  }
}

/**
 * How often the sweep runs: pg-boss files cron schedules in 60-second slots (a "*\/15 s" cron
 * runs once a minute), which would let a short deadline overrun by up to a minute. A quarter of
 * the deadline, between 1 s and 15 s: an order is cancelled at most deadline + this + one job
 * pickup (≤ 1 s) after it was created.
 */
export const deadlineSweepIntervalMs = (deadlineMs: number): number => Math.min(15_000, Math.max(1_000, Math.floor(deadlineMs / 4)));

/**
 * An in-process timer that files the singleton sweep job every `everyMs`. Every instance runs
 * one; `singletonKey` + `singletonSeconds` let pg-boss keep one job per slot across all of them
 * (and the queue's singleton policy one sweep at a time), so more instances add no sweeps.
 * The cron schedule stays as the once-a-minute backstop. Returns a stop function.
 */
export function startDeadlineTicker(
  boss: Pick<PgBoss, "send">,
  queue: string,
  everyMs: number,
  onError: (error: unknown) => void,
): () => void {
  const singletonSeconds = Math.max(1, Math.floor(everyMs / 1000));
  const timer = setInterval(() => {
    boss.send(queue, {}, { singletonKey: "deadline-sweep", singletonSeconds }).catch(onError);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
