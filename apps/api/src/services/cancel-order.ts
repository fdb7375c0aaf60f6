import { getOrderDetail, type Pool, type PoolClient, sql, withTransaction } from "@orders/db";
import { AppError, decide, type FollowUp, ORDER_AGGREGATE, type OrderState, orderCancelledPayload, uuidv7 } from "@orders/domain";
import type { AuthUser } from "../env.ts";
import type { OrderView } from "../schemas.ts";
import { toOrderView } from "./order-view.ts";

/**
 * Starts follow-up work (a RefundPayment when the payment had succeeded) on `client`, inside
 * the cancel transaction. The default does nothing: the consumer app owns the pg-boss refund
 * queue and wires the real job in apps/api/src/main.ts.
 */
export type EnqueueCancelFollowUps = (client: PoolClient, orderId: string, followUps: readonly FollowUp[]) => Promise<void>;
export const enqueueNothing: EnqueueCancelFollowUps = async () => {};

export interface CancelOrderDeps {
  readonly pool: Pool;
  readonly ceSource: string;
  readonly enqueueFollowUps: EnqueueCancelFollowUps;
  /** Attempts when a concurrent change moved the row version between read and write. */
  readonly maxAttempts?: number;
}

export interface CancelOrderInput {
  readonly user: AuthUser;
  readonly orderId: string;
  readonly requestId: string;
  readonly traceparent: string | null;
}

const exec = (client: PoolClient, q: sql.Query) =>
  client.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

const VERSION_MOVED = Symbol("version moved");
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * POST /api/orders/{id}/cancel: decide() on the order as read, then write the new state only
 * if the row still has the version read (optimistic), with its timeline row, the
 * OrderCancelled outbox row and follow-ups in the same transaction. A concurrent confirm and
 * cancel cannot both win on the same version; the loser re-reads and decides again.
 */
export async function cancelOrder(deps: CancelOrderDeps, input: CancelOrderInput): Promise<OrderView> {
  const attempts = deps.maxAttempts ?? 3;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const result = await withTransaction(deps.pool, async (client) => {
      const { rows } = await exec(client, sql.selectOrderState(input.orderId));
      const row = rows[0] as (OrderState & { id: string; userId: string; version: number }) | undefined;
      // Another user's order is indistinguishable from a missing one (no IDOR oracle).
      if (!row || (!input.user.admin && row.userId !== input.user.id)) throw new AppError("NOT_FOUND", "order not found");
      const reason = row.userId === input.user.id ? "cancelled-by-customer" : "cancelled-by-admin";
      // maxPaymentAttempts only matters for PaymentFailed; a cancel never consults it.
      const decision = decide(row, { type: "CancelRequested", reason }, { maxPaymentAttempts: 1 });
      if (decision.kind === "skip") throw new AppError("ILLEGAL_TRANSITION", decision.note);
      const updated = await exec(client, sql.updateOrderState({ id: row.id, expectedVersion: row.version, ...decision.next }));
      if (updated.rowCount !== 1) return VERSION_MOVED;
      const now = new Date();
      const causedBy = `request:${input.requestId}`;
      await exec(client, sql.insertHistory({ orderId: row.id, status: decision.next.status, reason: decision.note, causedBy }));
      if (decision.emit) {
        const refund = row.paymentStatus === "SUCCEEDED";
        await exec(
          client,
          sql.insertOutboxEvent({
            id: uuidv7(),
            aggregateType: ORDER_AGGREGATE,
            aggregateId: row.id,
            type: decision.emit.type,
            payload: orderCancelledPayload(row, decision.emit.reason, refund, now),
            source: deps.ceSource,
            time: now.toISOString(),
            traceparent: input.traceparent && TRACEPARENT.test(input.traceparent) ? input.traceparent : null,
          }),
        );
      }
      await deps.enqueueFollowUps(client, row.id, decision.followUps);
      const detail = await getOrderDetail(client, row.id);
      if (!detail) throw new AppError("INTERNAL", "order vanished inside its own transaction");
      return toOrderView(detail);
    });
    if (result !== VERSION_MOVED) return result;
  }
  throw new AppError("CONFLICT", "the order kept changing while being cancelled; try again", { retriable: true });
}
