import { type Pool, pendingOrdersCreatedBefore, TRANSACTION_RETRIES, withTransaction } from "@orders/db";
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
