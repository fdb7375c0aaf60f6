import type { OrderHeadRow } from "./orders.ts";
import type { Query } from "./query.ts";

/*
 * The order-history read model's SQL (issue 15), run against the READ database only
 * (migrations/read-model/). Nothing here touches a write table.
 */

export interface ReadModelEventRow {
  readonly orderId: string;
  readonly sequence: number;
  readonly eventId: string;
  readonly type: string;
  /** The record's value as received (JSON text). */
  readonly payload: string;
  readonly occurredAt: string;
}

/** Stores received events once per (order, sequence); returns the order ids of rows actually inserted. */
export const insertReadModelEvents = (rows: readonly ReadModelEventRow[]): Query => ({
  text: `INSERT INTO order_events (order_id, sequence, event_id, type, payload, occurred_at)
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::jsonb[], $6::timestamptz[])
         ON CONFLICT (order_id, sequence) DO NOTHING
         RETURNING order_id::text AS "orderId"`,
  values: [
    rows.map((r) => r.orderId),
    rows.map((r) => r.sequence),
    rows.map((r) => r.eventId),
    rows.map((r) => r.type),
    rows.map((r) => r.payload),
    rows.map((r) => r.occurredAt),
  ],
});

/** Every stored event of the given orders, in sequence order per order. */
export const selectReadModelEvents = (orderIds: readonly string[]): Query => ({
  text: `SELECT order_id::text AS "orderId", sequence::int AS sequence, event_id::text AS "eventId", type, payload,
                to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt"
           FROM order_events WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, sequence`,
  values: [orderIds],
});

export interface OrderHistoryWrite extends OrderHeadRow {
  readonly itemCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly contiguous: number;
  readonly lastSequence: number;
}

/** Writes folded rows (the fold is over every stored event, so the newest row always wins). */
export const upsertOrderHistory = (rows: readonly OrderHistoryWrite[]): Query => ({
  text: `INSERT INTO order_history AS h (id, user_id, status, inventory_status, payment_status, delivery_status, total_amount,
                      currency, shipping_address, payment_method, item_count, created_at, updated_at, version, contiguous, last_sequence)
         SELECT * FROM json_to_recordset($1::json) AS r(id uuid, "userId" text, status text, "inventoryStatus" text,
                "paymentStatus" text, "deliveryStatus" text, "totalAmount" numeric, currency text, "shippingAddress" text,
                "paymentMethod" text, "itemCount" int, "createdAt" timestamptz, "updatedAt" timestamptz, version int,
                contiguous bigint, "lastSequence" bigint)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, inventory_status = EXCLUDED.inventory_status,
           payment_status = EXCLUDED.payment_status, delivery_status = EXCLUDED.delivery_status,
           updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, contiguous = EXCLUDED.contiguous,
           last_sequence = EXCLUDED.last_sequence`,
  values: [JSON.stringify(rows)],
});

const HISTORY_COLUMNS = `h.id, h.user_id AS "userId", h.status, h.inventory_status AS "inventoryStatus",
  h.payment_status AS "paymentStatus", h.delivery_status AS "deliveryStatus", h.total_amount::text AS "totalAmount",
  h.currency, h.shipping_address AS "shippingAddress", h.payment_method AS "paymentMethod",
  h.created_at AS "createdAt", h.updated_at AS "updatedAt", h.version, h.item_count AS "itemCount"`;

/** The same keyset page as the write side's selectOrderPage, from the read model. */
export const selectOrderHistoryPage = (f: { userId?: string; status?: string; beforeId?: string; limit: number }): Query => ({
  text: `SELECT ${HISTORY_COLUMNS} FROM order_history h
          WHERE ($1::text IS NULL OR h.user_id = $1)
            AND ($2::text IS NULL OR h.status = $2)
            AND ($3::uuid IS NULL OR h.id < $3)
          ORDER BY h.id DESC
          LIMIT $4`,
  values: [f.userId ?? null, f.status ?? null, f.beforeId ?? null, f.limit],
});

/** Owner and projected version of one order (read-your-writes waits on it). */
export const selectOrderHistoryHead = (id: string): Query => ({
  name: "read_model.head",
  text: `SELECT user_id AS "userId", version FROM order_history WHERE id = $1`,
  values: [id],
});

/** Everything, for a rebuild (the projector refills it from a replay). */
export const truncateReadModel = (): Query => ({ text: "TRUNCATE order_events, order_history", values: [] });

/** Sizes, for progress and checks. */
export const readModelCounts = (): Query => ({
  text: `SELECT (SELECT count(*)::int FROM order_events) AS events, (SELECT count(*)::int FROM order_history) AS orders,
                (SELECT count(*)::int FROM order_history WHERE contiguous < last_sequence) AS "ordersWithGaps"`,
  values: [],
});

/** The whole model in a canonical order (rebuild comparison, e2e). */
export const selectReadModelDump = (): Query => ({
  text: `SELECT ${HISTORY_COLUMNS}, h.contiguous::int AS contiguous, h.last_sequence::int AS "lastSequence",
                (SELECT json_agg(json_build_object('sequence', e.sequence, 'type', e.type, 'eventId', e.event_id) ORDER BY e.sequence)
                   FROM order_events e WHERE e.order_id = h.id) AS events
           FROM order_history h ORDER BY h.id`,
  values: [],
});

/**
 * WRITE database: an order's owner and version, for the `Order-Version` header of a response that
 * changed it (the API reads it after the change committed; the read model catches up to it).
 */
export const selectWriteSideVersion = (id: string): Query => ({
  name: "read_model.write_version",
  text: `SELECT user_id AS "userId", version FROM orders WHERE id = $1`,
  values: [id],
});

/** WRITE database: the given orders' outbox events in per-order sequence order (read-side checks). */
export const selectOutboxEventsOf = (orderIds: readonly string[]): Query => ({
  text: `SELECT aggregateid AS "orderId", aggregate_sequence::int AS sequence, id::text AS "eventId", type
           FROM outbox WHERE aggregateid = ANY($1::text[]) AND aggregate_sequence IS NOT NULL
          ORDER BY aggregateid, aggregate_sequence`,
  values: [orderIds],
});

/** WRITE database: status and version of the given orders (read-side checks). */
export const selectWriteSideStates = (orderIds: readonly string[]): Query => ({
  text: `SELECT id::text, status, inventory_status AS "inventoryStatus", payment_status AS "paymentStatus",
                delivery_status AS "deliveryStatus", version FROM orders WHERE id = ANY($1::uuid[])`,
  values: [orderIds],
});
