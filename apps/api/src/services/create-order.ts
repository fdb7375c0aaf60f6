import { insertNewOrderCompletingKey, newOrderDetail, type Pool } from "@orders/db";
import { AppError, type CreateOrderRequest, type NewOrder, uuidv7 } from "@orders/domain";
import type { Logger } from "@orders/runtime";
import type { AuthUser } from "../env.ts";
import type { InventoryClient } from "../inventory-client.ts";
import { type IdempotencySettings, LeaseLost, requestFingerprint, runIdempotently, type StoredResponse } from "./idempotency.ts";
import { toOrderView } from "./order-view.ts";

export interface CreateOrderDeps {
  readonly pool: Pool;
  readonly inventory: InventoryClient;
  readonly idempotency: IdempotencySettings;
  readonly ceSource: string;
  readonly logger: Logger;
}

export interface CreateOrderInput {
  readonly user: AuthUser;
  readonly body: CreateOrderRequest;
  readonly idempotencyKey: string;
  readonly requestId: string;
  readonly traceparent: string | null;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * POST /api/orders, in three steps so that no database transaction spans the network call:
 * 1. claim the Idempotency-Key with a lease (own committed statement) — or replay / 409 / 422;
 * 2. quote the items at the Inventory service (cockatiel policy; no transaction open);
 * 3. ONE transaction — a single statement, one round trip — order + items + history +
 *    OrderCreated outbox row AND the key marked COMPLETED with the exact response bytes, only
 *    while the lease is still ours. The response is built from the data in hand (newOrderDetail
 *    is what GET /api/orders/{id} would read back), not re-read from the database.
 * A crash before 3 commits leaves an IN_FLIGHT key whose lease expires (a retry takes it
 * over); after, both the order and its key exist. Never an order without its key.
 */
export async function createOrderIdempotently(
  deps: CreateOrderDeps,
  input: CreateOrderInput,
): Promise<StoredResponse & { replayed: boolean }> {
  const { user, body } = input;
  if (!user.admin && body.userId !== user.id) throw new AppError("FORBIDDEN", "userId must be the authenticated user");

  const scope = { userId: user.id, key: input.idempotencyKey };
  return runIdempotently(deps, scope, requestFingerprint("POST /api/orders", body), async (leaseToken) => {
    const quote = await deps.inventory.quote(body.items);
    const order: NewOrder = {
      id: uuidv7(),
      userId: body.userId,
      items: quote.lines,
      currency: quote.currency,
      shippingAddress: body.shippingAddress,
      paymentMethod: body.paymentMethod,
      createdAt: new Date(),
    };
    const traceparent = input.traceparent && TRACEPARENT.test(input.traceparent) ? input.traceparent : null;
    const causedBy = `request:${input.requestId}`;
    const detail = newOrderDetail(order, causedBy);
    const response: StoredResponse = {
      status: 201,
      // Order-Version is known here (a new order is version 1): the read side's header middleware
      // would otherwise spend a database round trip per POST reading it back (issue 17's profile).
      headers: { "Content-Type": "application/json", Location: `/api/orders/${order.id}`, "Order-Version": String(detail.version) },
      body: JSON.stringify(toOrderView(detail)),
    };
    const { created } = await insertNewOrderCompletingKey(
      deps.pool,
      order,
      { source: deps.ceSource, traceparent, causedBy },
      { ...scope, leaseToken, ...response },
    );
    if (!created) throw new LeaseLost();
    return response;
  });
}
