import { INITIAL_ORDER_STATE, lineTotal, type NewOrder, newOrderTotal, ORDER_AGGREGATE, orderCreatedPayload, uuidv7 } from "@orders/domain";
import type pg from "pg";
import type { Queryable } from "./pool.ts";
import { run } from "./run.ts";
import * as sql from "./sql/index.ts";
import { withTransaction } from "./transaction.ts";

export interface EventContext {
  /** CloudEvents `source` of this service, e.g. `/order-service/api`. */
  readonly source: string;
  readonly traceparent?: string | null;
  /** What caused the change, for the timeline: a request id, event id or job id. */
  readonly causedBy: string;
}

function newOrderWrite(order: NewOrder, ctx: EventContext, eventId: string, historyAt: Date | null): sql.NewOrderWrite {
  return {
    order: {
      id: order.id,
      userId: order.userId,
      totalAmount: newOrderTotal(order),
      currency: order.currency,
      shippingAddress: order.shippingAddress,
      paymentMethod: order.paymentMethod,
      createdAt: order.createdAt,
      ...INITIAL_ORDER_STATE,
    },
    items: order.items.map((i) => ({ id: uuidv7(), productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice })),
    history: { status: INITIAL_ORDER_STATE.status, reason: NEW_ORDER_REASON, causedBy: ctx.causedBy, at: historyAt },
    event: {
      id: eventId,
      aggregateType: ORDER_AGGREGATE,
      type: "OrderCreated",
      payload: orderCreatedPayload(order),
      source: ctx.source,
      time: order.createdAt.toISOString(),
      traceparent: ctx.traceparent ?? null,
    },
  };
}

const NEW_ORDER_REASON = "order placed";

/**
 * Writes the order, its items, its first timeline entry and its `OrderCreated` outbox row in
 * ONE statement (one round trip): either all of them exist or none (DESIGN §3.1). On `client`
 * inside a transaction, the rows are part of that transaction.
 */
export async function insertNewOrder(client: pg.PoolClient, order: NewOrder, ctx: EventContext): Promise<{ eventId: string }> {
  const eventId = uuidv7();
  await run(client, sql.insertNewOrderRows(newOrderWrite(order, ctx, eventId, null)));
  return { eventId };
}

/** `insertNewOrder` in a transaction of its own. */
export const createOrder = (pool: pg.Pool, order: NewOrder, ctx: EventContext) =>
  withTransaction(pool, (client) => insertNewOrder(client, order, ctx));

/**
 * POST /api/orders's one transaction as ONE statement: the order's rows (as insertNewOrder,
 * with the timeline entry stamped `order.createdAt`) and its Idempotency-Key marked COMPLETED
 * with `key`'s response — only while the key is still IN_FLIGHT under `key.leaseToken`.
 * `created` false: the lease was lost and nothing at all was written.
 */
export async function insertNewOrderCompletingKey(
  db: Queryable,
  order: NewOrder,
  ctx: EventContext,
  key: sql.KeyCompletion,
): Promise<{ eventId: string; created: boolean }> {
  const eventId = uuidv7();
  const { rows } = await run(db, sql.insertNewOrderRowsCompletingKey(newOrderWrite(order, ctx, eventId, order.createdAt), key));
  return { eventId, created: (rows[0] as { created: number }).created === 1 };
}

/**
 * What getOrderDetail returns for an order right after insertNewOrderCompletingKey wrote it
 * (before anything else changed it), built without reading it back: same values, same item
 * order (product id, byte-wise), same formats. A test compares the two.
 */
export function newOrderDetail(order: NewOrder, causedBy: string): OrderDetail {
  const byProduct = [...order.items].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  const at = order.createdAt.toISOString();
  return {
    id: order.id,
    userId: order.userId,
    ...INITIAL_ORDER_STATE,
    totalAmount: newOrderTotal(order),
    currency: order.currency,
    shippingAddress: order.shippingAddress,
    paymentMethod: order.paymentMethod,
    createdAt: order.createdAt,
    updatedAt: order.createdAt,
    version: 1,
    items: byProduct.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice, lineTotal: lineTotal(i) })),
    timeline: [{ status: INITIAL_ORDER_STATE.status, reason: NEW_ORDER_REASON, causedBy, at }],
    // No attempt yet: the PaymentInitiator starts attempt 1 once the stock is reserved.
    paymentAttempts: [],
    paymentActionDeadline: null,
  };
}

export interface OrderItemView {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: string;
  readonly lineTotal: string;
}

export interface TimelineEntry {
  readonly status: string;
  readonly reason: string;
  readonly causedBy: string;
  readonly at: string;
}

export interface OrderSummary extends sql.OrderHeadRow {
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface OrderDetail extends OrderSummary {
  readonly items: readonly OrderItemView[];
  readonly timeline: readonly TimelineEntry[];
  /** Payment attempts, oldest first (issue 14); a new order has none. */
  readonly paymentAttempts?: readonly PaymentAttemptView[];
  /** While payment is ACTION_REQUIRED: when the window closes. */
  readonly paymentActionDeadline?: string | null;
}

export type PaymentAttemptView = sql.PaymentAttemptView;

export async function getOrderDetail(db: Queryable, id: string): Promise<OrderDetail | null> {
  const { rows } = await run(db, sql.selectOrderDetail(id));
  return (rows[0] as OrderDetail | undefined) ?? null;
}

export interface OrderPage {
  readonly items: readonly (OrderSummary & { itemCount: number })[];
  /** The id to pass as `beforeId` for the next page, or null on the last page. */
  readonly nextBeforeId: string | null;
}

export async function listOrders(db: Queryable, filter: sql.OrderPageFilter): Promise<OrderPage> {
  // One extra row tells whether another page exists without a COUNT.
  const { rows } = await run(db, sql.selectOrderPage({ ...filter, limit: filter.limit + 1 }));
  const items = rows.slice(0, filter.limit) as (OrderSummary & { itemCount: number })[];
  const nextBeforeId = rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null;
  return { items, nextBeforeId };
}
