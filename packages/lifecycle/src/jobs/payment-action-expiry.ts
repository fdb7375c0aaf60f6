import { type Pool, paymentActionExpired, TRANSACTION_RETRIES, withTransaction } from "@orders/db";
import { type ApplyOptions, type ApplyOutcome, applyEvents } from "../apply-events.ts";

export interface ActionExpiryOptions {
  /** Orders per transaction. */
  readonly batchSize?: number;
  readonly apply: Omit<ApplyOptions, "consumer">;
  readonly now?: () => Date;
}

/** processed_messages name of the sweep; its message id is `payment-window:<order id>:<deadline>`. */
export const ACTION_EXPIRY_CONSUMER = "payment-action-expiry";

/**
 * Cancels (reason payment-failed, stock released by OrderCancelled) every order whose payment
 * still waits for the customer after its action-required window closed (issue 14), through the
 * decision table like every other step. The message id carries the deadline, so a later decline
 * with a new window expires on its own; a retry that began meanwhile makes it a skip.
 */
export async function sweepPaymentActionExpiry(pool: Pool, options: ActionExpiryOptions): Promise<{ cancelled: number }> {
  const batchSize = options.batchSize ?? 200;
  let cancelled = 0;
  for (;;) {
    const now = options.now?.() ?? new Date();
    const due = await paymentActionExpired(pool, now, batchSize);
    if (due.length === 0) return { cancelled };
    const outcomes: ApplyOutcome[] = await withTransaction(
      pool,
      (client) =>
        applyEvents(
          client,
          due.map((d) => ({
            orderId: d.id,
            messageId: `payment-window:${d.id}:${d.deadline}`,
            event: { type: "PaymentWindowExpired" as const },
          })),
          { ...options.apply, consumer: ACTION_EXPIRY_CONSUMER },
        ),
      { retries: TRANSACTION_RETRIES },
    );
    const applied = outcomes.filter((o) => o.kind === "applied").length;
    cancelled += applied;
    if (applied === 0 || due.length < batchSize) return { cancelled };
  }
}
