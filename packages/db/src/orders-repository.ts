import { type NewOrder, newOrderTotal, ORDER_AGGREGATE, orderCreatedPayload, uuidv7 } from "@orders/domain";
import type pg from "pg";
import type { Queryable } from "./pool.ts";
import * as sql from "./sql/index.ts";
import { withTransaction } from "./transaction.ts";

export interface EventContext {
  /** CloudEvents `source` of this service, e.g. `/order-service/api`. */
  readonly source: string;
  readonly traceparent?: string | null;
  /** What caused the change, for the timeline: a request id, event id or job id. */
  readonly causedBy: string;
}

const run = (db: Queryable, q: sql.Query) => db.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

/**
 * Writes the order, its items, its first timeline entry and its `OrderCreated` outbox row on
 * `client`, which must be inside a transaction: either all of them exist or none (DESIGN §3.1).
 */
export async function insertNewOrder(client: pg.PoolClient, order: NewOrder, ctx: EventContext): Promise<{ eventId: string }> {
  const eventId = uuidv7();
  await run(
    client,
    sql.insertOrder({
      id: order.id,
      userId: order.userId,
      totalAmount: newOrderTotal(order),
      currency: order.currency,
      shippingAddress: order.shippingAddress,
      paymentMethod: order.paymentMethod,
      createdAt: order.createdAt,
    }),
  );
  await run(
    client,
    sql.insertOrderItems(
      order.id,
      order.items.map((i) => ({ id: uuidv7(), productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice })),
    ),
  );
  await run(client, sql.insertHistory({ orderId: order.id, status: "PENDING", reason: "order placed", causedBy: ctx.causedBy }));
  await run(
    client,
    sql.insertOutboxEvent({
      id: eventId,
      aggregateType: ORDER_AGGREGATE,
      aggregateId: order.id,
      type: "OrderCreated",
      payload: orderCreatedPayload(order),
      source: ctx.source,
      time: order.createdAt.toISOString(),
      traceparent: ctx.traceparent ?? null,
    }),
  );
  return { eventId };
}

/** `insertNewOrder` in a transaction of its own. */
export const createOrder = (pool: pg.Pool, order: NewOrder, ctx: EventContext) =>
  withTransaction(pool, (client) => insertNewOrder(client, order, ctx));

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

export interface OrderSummary {
  readonly id: string;
  readonly userId: string;
  readonly status: string;
  readonly inventoryStatus: string;
  readonly paymentStatus: string;
  readonly deliveryStatus: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly shippingAddress: string;
  readonly paymentMethod: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface OrderDetail extends OrderSummary {
  readonly items: readonly OrderItemView[];
  readonly timeline: readonly TimelineEntry[];
}

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
