import type { Query } from "./query.ts";

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

const ORDER_COLUMNS = `o.id, o.user_id AS "userId", o.status, o.inventory_status AS "inventoryStatus",
  o.payment_status AS "paymentStatus", o.delivery_status AS "deliveryStatus",
  o.total_amount::text AS "totalAmount", o.currency, o.shipping_address AS "shippingAddress",
  o.payment_method AS "paymentMethod", o.created_at AS "createdAt", o.updated_at AS "updatedAt", o.version`;

/** One round trip: the order, its items and its timeline as JSON arrays. */
export const selectOrderDetail = (id: string): Query => ({
  name: "orders.detail",
  text: `SELECT ${ORDER_COLUMNS},
    COALESCE((SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity,
                     'unitPrice', i.price::text, 'lineTotal', (i.price * i.quantity)::numeric(14,2)::text) ORDER BY i.product_id)
              FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
    COALESCE((SELECT json_agg(json_build_object('status', h.status, 'reason', h.reason, 'causedBy', h.caused_by,
                     'at', to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY h.id)
              FROM order_status_history h WHERE h.order_id = o.id), '[]') AS timeline
    FROM orders o WHERE o.id = $1`,
  values: [id],
});

/** The lifecycle part of one order, locked for the rest of the transaction. */
export const selectOrderStateForUpdate = (id: string): Query => ({
  name: "orders.state_for_update",
  text: `SELECT id, user_id AS "userId", status, inventory_status AS "inventoryStatus", payment_status AS "paymentStatus",
                delivery_status AS "deliveryStatus", total_amount::text AS "totalAmount", currency, version
           FROM orders WHERE id = $1 FOR UPDATE`,
  values: [id],
});

export interface OrderStateUpdate {
  readonly id: string;
  readonly expectedVersion: number;
  readonly status: string;
  readonly inventoryStatus: string;
  readonly paymentStatus: string;
  readonly deliveryStatus: string;
}

/** Optimistic: changes nothing unless the row still has the version that was read. */
export const updateOrderState = (u: OrderStateUpdate): Query => ({
  name: "orders.update_state",
  text: `UPDATE orders SET status = $3, inventory_status = $4, payment_status = $5, delivery_status = $6,
                version = version + 1, updated_at = now()
          WHERE id = $1 AND version = $2
      RETURNING version`,
  values: [u.id, u.expectedVersion, u.status, u.inventoryStatus, u.paymentStatus, u.deliveryStatus],
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

/** The lifecycle part of one order with its version, without a lock (optimistic cancel). */
export const selectOrderState = (id: string): Query => ({
  name: "orders.state",
  text: `SELECT id, user_id AS "userId", status, inventory_status AS "inventoryStatus", payment_status AS "paymentStatus",
                delivery_status AS "deliveryStatus", version
           FROM orders WHERE id = $1`,
  values: [id],
});
