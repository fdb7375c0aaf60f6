import { getOrderDetail, getOrderOwner, type Pool, withTransaction } from "@orders/db";
import { AppError, uuidv7 } from "@orders/domain";
import { applyEvents, type JobQueue } from "@orders/lifecycle";
import type { AuthUser } from "../env.ts";
import type { OrderView } from "../schemas.ts";
import { toOrderView } from "./order-view.ts";

/** processed_messages name of the API's cancel; its message ids are `cancel:<uuid>`, one per request. */
export const API_CANCEL_CONSUMER = "api-cancel";

/** No follow-up jobs (tests): main.ts wires pg-boss, whose refund queue the consumer works. */
export const noJobs: JobQueue = { insert: async () => null };

export interface CancelOrderDeps {
  readonly pool: Pool;
  readonly ceSource: string;
  /** Where a RefundPayment (the payment had succeeded) is inserted, inside the cancel transaction. */
  readonly jobs: JobQueue;
}

export interface CancelOrderInput {
  readonly user: AuthUser;
  readonly orderId: string;
  readonly requestId: string;
  readonly traceparent: string | null;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * POST /api/orders/{id}/cancel: a `CancelRequested` applied by the lifecycle's one writer — the
 * same decision table, row lock and version check as every consumed result and job, so a cancel
 * racing a confirm is decided by whichever locks the order first. A refused cancel (NOT_CANCELLABLE)
 * rolls back and leaves no trace; the message id is new per request, so it is never a duplicate.
 */
export async function cancelOrder(deps: CancelOrderDeps, input: CancelOrderInput): Promise<OrderView> {
  return withTransaction(deps.pool, async (client) => {
    const owner = await getOrderOwner(client, input.orderId);
    // Another user's order is indistinguishable from a missing one (no IDOR oracle).
    if (owner === null || (!input.user.admin && owner !== input.user.id)) throw new AppError("NOT_FOUND", "order not found");
    const reason = owner === input.user.id ? "cancelled-by-customer" : "cancelled-by-admin";
    const [outcome] = await applyEvents(
      client,
      [
        {
          orderId: input.orderId,
          messageId: `cancel:${uuidv7()}`,
          event: { type: "CancelRequested", reason },
          traceparent: input.traceparent && TRACEPARENT.test(input.traceparent) ? input.traceparent : null,
        },
      ],
      // maxPaymentAttempts only matters for PaymentFailed; a cancel never consults it.
      { consumer: API_CANCEL_CONSUMER, source: deps.ceSource, decision: { maxPaymentAttempts: 1 }, jobs: deps.jobs },
    );
    if (outcome?.kind === "skipped") throw new AppError("ILLEGAL_TRANSITION", outcome.note);
    if (outcome?.kind === "unknown_order") throw new AppError("NOT_FOUND", "order not found");
    if (outcome?.kind !== "applied") throw new AppError("INTERNAL", `cancel not applied: ${outcome?.kind ?? "no outcome"}`);
    const detail = await getOrderDetail(client, input.orderId);
    if (!detail) throw new AppError("INTERNAL", "order vanished inside its own transaction");
    return toOrderView(detail);
  });
}
