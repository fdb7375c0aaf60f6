import type { CompleteKeyArgs } from "./idempotency.ts";
import type { Query } from "./query.ts";

/** The columns every order row read back starts with, on the write side and in the read model. */
export interface OrderHeadRow {
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
  readonly version: number;
}

export interface NewOrderRow {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly shippingAddress: string;
  readonly paymentMethod: string;
  readonly createdAt: Date;
}

export const insertOrder = (o: NewOrderRow): Query => ({
  name: "orders.insert",
  text: `INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
  values: [o.id, o.userId, o.totalAmount, o.currency, o.shippingAddress, o.paymentMethod, o.createdAt],
});

export interface NewItemRow {
  readonly id: string;
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: string;
}

/** All items in one statement: one round trip whatever the item count. */
export const insertOrderItems = (orderId: string, items: readonly NewItemRow[]): Query => ({
  name: "order_items.insert",
  text: `INSERT INTO order_items (id, order_id, product_id, quantity, price)
         SELECT id, $1, product_id, quantity, price
           FROM unnest($2::uuid[], $3::text[], $4::int[], $5::numeric[]) AS t(id, product_id, quantity, price)`,
  values: [orderId, items.map((i) => i.id), items.map((i) => i.productId), items.map((i) => i.quantity), items.map((i) => i.unitPrice)],
});

/** Everything a new order writes: the row (with its initial state), items, first timeline entry, outbox event. */
export interface NewOrderWrite {
  readonly order: NewOrderRow & {
    readonly status: string;
    readonly inventoryStatus: string;
    readonly paymentStatus: string;
    readonly deliveryStatus: string;
  };
  readonly items: readonly NewItemRow[];
  /** `at` null = the database's now(). */
  readonly history: { readonly status: string; readonly reason: string; readonly causedBy: string; readonly at: Date | null };
  readonly event: {
    readonly id: string;
    readonly aggregateType: string;
    readonly type: string;
    readonly payload: unknown;
    readonly source: string;
    readonly time: string;
    readonly traceparent: string | null;
  };
}

/** The completion of the Idempotency-Key that a new order answers (see insertNewOrderCompletingKey). */
export type KeyCompletion = Omit<CompleteKeyArgs, "orderId">;

/*
 * A new order in ONE statement (one round trip) with data-modifying CTEs: the orders row, its
 * items (unnest), the first timeline entry and the OrderCreated outbox row. One statement is
 * atomic on its own (all rows or none), and inside a caller's transaction it is part of it.
 * Foreign keys are checked at the end of the statement, when the orders row exists.
 */
const NEW_ORDER_CTES = (orderSource: string) => `new_order AS (
    INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method, created_at, updated_at,
                        status, inventory_status, payment_status, delivery_status)
    SELECT $1::uuid, $2::text, $3::numeric, $4::text, $5::text, $6::text, $7::timestamptz, $7::timestamptz,
           $8::text, $9::text, $10::text, $11::text
      ${orderSource}
    RETURNING id
  ), new_items AS (
    INSERT INTO order_items (id, order_id, product_id, quantity, price)
    SELECT t.id, new_order.id, t.product_id, t.quantity, t.price
      FROM new_order, unnest($12::uuid[], $13::text[], $14::int[], $15::numeric[]) AS t(id, product_id, quantity, price)
  ), new_history AS (
    INSERT INTO order_status_history (order_id, status, reason, caused_by, at)
    SELECT id, $16::text, $17::text, $18::text, COALESCE($19::timestamptz, now()) FROM new_order
  ), new_event AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent)
    SELECT $20::uuid, $21::text, id::text, $22::text, $23::jsonb, $24::text, $25::text, $26::text FROM new_order
  )`;

const newOrderValues = (w: NewOrderWrite): unknown[] => [
  w.order.id,
  w.order.userId,
  w.order.totalAmount,
  w.order.currency,
  w.order.shippingAddress,
  w.order.paymentMethod,
  w.order.createdAt,
  w.order.status,
  w.order.inventoryStatus,
  w.order.paymentStatus,
  w.order.deliveryStatus,
  w.items.map((i) => i.id),
  w.items.map((i) => i.productId),
  w.items.map((i) => i.quantity),
  w.items.map((i) => i.unitPrice),
  w.history.status,
  w.history.reason,
  w.history.causedBy,
  w.history.at,
  w.event.id,
  w.event.aggregateType,
  w.event.type,
  JSON.stringify(w.event.payload),
  w.event.source,
  w.event.time,
  w.event.traceparent,
];

/** The new order's rows; returns `created` = 1. */
export const insertNewOrderRows = (w: NewOrderWrite): Query => ({
  name: "orders.insert_new",
  text: `WITH ${NEW_ORDER_CTES("")}
    SELECT count(*)::int AS created FROM new_order`,
  values: newOrderValues(w),
});

/**
 * The new order's rows AND its Idempotency-Key marked COMPLETED with the response, in one
 * statement, gated on the lease: when the key is no longer IN_FLIGHT under `leaseToken`
 * (the lease ran out and another request took it over), nothing at all is written and
 * `created` = 0.
 */
export const insertNewOrderRowsCompletingKey = (w: NewOrderWrite, k: KeyCompletion): Query => ({
  name: "orders.insert_new_completing_key",
  text: `WITH completed_key AS (
    UPDATE idempotency_keys
       SET state = 'COMPLETED', response_status = $30, response_headers = $31, response_body = $32, order_id = $1,
           lease_token = NULL, locked_until = NULL
     WHERE user_id = $27 AND key = $28 AND lease_token = $29 AND state = 'IN_FLIGHT'
    RETURNING 1
  ), ${NEW_ORDER_CTES("FROM completed_key")}
    SELECT count(*)::int AS created FROM new_order`,
  values: [...newOrderValues(w), k.userId, k.key, k.leaseToken, k.status, JSON.stringify(k.headers), k.body],
});

const ORDER_COLUMNS = `o.id, o.user_id AS "userId", o.status, o.inventory_status AS "inventoryStatus",
  o.payment_status AS "paymentStatus", o.delivery_status AS "deliveryStatus",
  o.total_amount::text AS "totalAmount", o.currency, o.shipping_address AS "shippingAddress",
  o.payment_method AS "paymentMethod", o.created_at AS "createdAt", o.updated_at AS "updatedAt", o.version`;

/**
 * One round trip: the order, its items and its timeline as JSON arrays. Items sort by
 * product id byte-wise (COLLATE "C", whatever the database's locale), so that the API can
 * build the same body for a new order without reading it back (newOrderDetail).
 */
export const selectOrderDetail = (id: string): Query => ({
  name: "orders.detail",
  text: `SELECT ${ORDER_COLUMNS},
    COALESCE((SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity,
                     'unitPrice', i.price::text, 'lineTotal', (i.price * i.quantity)::numeric(14,2)::text) ORDER BY i.product_id COLLATE "C")
              FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
    COALESCE((SELECT json_agg(json_build_object('status', h.status, 'reason', h.reason, 'causedBy', h.caused_by,
                     'at', to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY h.id)
              FROM order_status_history h WHERE h.order_id = o.id), '[]') AS timeline,
    COALESCE((SELECT json_agg(json_build_object('number', a.attempt, 'method', a.method, 'idempotencyKey', a.idempotency_key,
                     'status', a.status, 'origin', a.origin, 'amount', a.amount::text, 'failureReason', a.failure_reason,
                     'retryable', a.retryable, 'startedAt', to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                     'decidedAt', to_char(a.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY a.attempt)
              FROM payment_attempts a WHERE a.order_id = o.id), '[]') AS "paymentAttempts",
    CASE WHEN o.payment_status = 'ACTION_REQUIRED'
         THEN to_char(o.payment_action_deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS "paymentActionDeadline"
    FROM orders o WHERE o.id = $1`,
  values: [id],
});

export interface OrderPageFilter {
  readonly userId?: string;
  readonly status?: string;
  /** Exclusive upper bound: the last id of the previous page. */
  readonly beforeId?: string;
  readonly limit: number;
}

/**
 * Keyset page, newest first. UUIDv7 ids sort by creation time, so `id` alone is the key:
 * stable under concurrent inserts (a new order sorts before page one, never into a later page).
 */
export const selectOrderPage = (f: OrderPageFilter): Query => ({
  text: `SELECT ${ORDER_COLUMNS},
                (SELECT count(*)::int FROM order_items i WHERE i.order_id = o.id) AS "itemCount"
           FROM orders o
          WHERE ($1::text IS NULL OR o.user_id = $1)
            AND ($2::text IS NULL OR o.status = $2)
            AND ($3::uuid IS NULL OR o.id < $3)
          ORDER BY o.id DESC
          LIMIT $4`,
  values: [f.userId ?? null, f.status ?? null, f.beforeId ?? null, f.limit],
});

/** Who owns an order (the API's cancel checks it before asking the lifecycle writer). */
export const selectOrderOwner = (id: string): Query => ({
  name: "orders.owner",
  text: `SELECT user_id AS "userId" FROM orders WHERE id = $1`,
  values: [id],
});
