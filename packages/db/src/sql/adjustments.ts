import type { Query } from "./query.ts";

/*
 * Line quantities, the money ledger and returns (issue 13, migrations/0080_returns_ledger.sql).
 * Set-based like the lifecycle statements: one round trip per statement whatever the chunk size.
 *
 * The per-chunk reads of these tables match their order ids with `IN (SELECT unnest($1))`, not
 * `= ANY($1)`: the statements are prepared, and a generic plan made while a table was still
 * small (a fresh database, the first minutes after a deploy) kept a sequential scan whose filter
 * compares every row with every id of the chunk — the ledger and causes reads then cost
 * ~150-200 µs per applied event each in bench/consumer, flipping between runs. The semi-join is an
 * index probe per id, or a hash of the table if it was planned small: linear in the table at worst
 * until autovacuum's ANALYZE replans it (packages/db/test/consumer-reads-plan.test.ts).
 */

export const selectLines = (orderIds: readonly string[]): Query => ({
  name: "adjustments.lines",
  text: `SELECT order_id AS "orderId", product_id AS "productId", price::text AS "unitPrice", quantity AS ordered,
                cancelled_qty AS cancelled, shipped_qty AS shipped, delivered_qty AS delivered,
                return_requested_qty AS "returnRequested", received_qty AS received, damaged_qty AS damaged,
                restocked_qty AS restocked
           FROM order_items WHERE order_id IN (SELECT unnest($1::uuid[])) ORDER BY order_id, product_id`,
  values: [orderIds],
});

export const selectLedger = (orderIds: readonly string[]): Query => ({
  name: "adjustments.ledger",
  text: `SELECT order_id AS "orderId", kind, amount::text AS amount, reason, cause, refund_id AS "refundId",
                at
           FROM order_ledger WHERE order_id IN (SELECT unnest($1::uuid[])) ORDER BY order_id, id`,
  values: [orderIds],
});

export const selectReturns = (orderIds: readonly string[]): Query => ({
  name: "adjustments.returns",
  text: `SELECT r.order_id AS "orderId", r.id, r.reason, r.requested_at AS "requestedAt", r.receipts,
                COALESCE((SELECT json_agg(json_build_object('productId', l.product_id, 'requested', l.requested,
                                   'received', l.received, 'damaged', l.damaged) ORDER BY l.product_id)
                            FROM order_return_lines l WHERE l.return_id = r.id), '[]') AS lines
           FROM order_returns r WHERE r.order_id IN (SELECT unnest($1::uuid[])) ORDER BY r.order_id, r.id`,
  values: [orderIds],
});

export const selectCauses = (orderIds: readonly string[]): Query => ({
  name: "adjustments.causes",
  text: `SELECT order_id AS "orderId", cause FROM order_adjustment_causes WHERE order_id IN (SELECT unnest($1::uuid[]))`,
  values: [orderIds],
});

export const selectDeliveredAt = (orderIds: readonly string[]): Query => ({
  name: "adjustments.delivered_at",
  text: `SELECT id AS "orderId", delivered_at AS "deliveredAt" FROM orders WHERE id = ANY($1::uuid[])`,
  values: [orderIds],
});

export interface LineQuantitiesRow {
  readonly orderId: string;
  readonly productId: string;
  readonly cancelled: number;
  readonly shipped: number;
  readonly delivered: number;
  readonly returnRequested: number;
  readonly received: number;
  readonly damaged: number;
  readonly restocked: number;
}

export const updateLineQuantities = (rows: readonly LineQuantitiesRow[]): Query => ({
  name: "adjustments.update_lines",
  text: `UPDATE order_items i SET cancelled_qty = u.c, shipped_qty = u.s, delivered_qty = u.d, return_requested_qty = u.rr,
                received_qty = u.rcv, damaged_qty = u.dmg, restocked_qty = u.rst
           FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[])
                AS u(order_id, product_id, c, s, d, rr, rcv, dmg, rst)
          WHERE i.order_id = u.order_id AND i.product_id = u.product_id`,
  values: [
    rows.map((r) => r.orderId),
    rows.map((r) => r.productId),
    rows.map((r) => r.cancelled),
    rows.map((r) => r.shipped),
    rows.map((r) => r.delivered),
    rows.map((r) => r.returnRequested),
    rows.map((r) => r.received),
    rows.map((r) => r.damaged),
    rows.map((r) => r.restocked),
  ],
});

export interface LedgerRow {
  readonly orderId: string;
  readonly kind: string;
  readonly amount: string;
  readonly reason: string;
  readonly cause: string;
  readonly refundId: string | null;
}

export const insertLedgerRows = (rows: readonly LedgerRow[]): Query => ({
  name: "adjustments.insert_ledger",
  text: `INSERT INTO order_ledger (order_id, kind, amount, reason, cause, refund_id)
         SELECT order_id, kind, amount, reason, cause, refund_id
           FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::text[], $6::text[])
                WITH ORDINALITY AS e(order_id, kind, amount, reason, cause, refund_id, n)
          ORDER BY n`,
  values: [
    rows.map((r) => r.orderId),
    rows.map((r) => r.kind),
    rows.map((r) => r.amount),
    rows.map((r) => r.reason),
    rows.map((r) => r.cause),
    rows.map((r) => r.refundId),
  ],
});

export interface ReturnRow {
  readonly orderId: string;
  readonly id: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly receipts: readonly string[];
}

/** New returns are inserted; known ones get their receipt list (the only thing that changes). */
export const upsertReturns = (rows: readonly ReturnRow[]): Query => ({
  name: "adjustments.upsert_returns",
  text: `INSERT INTO order_returns (id, order_id, reason, requested_at, receipts)
         SELECT id, order_id, reason, requested_at, ARRAY(SELECT json_array_elements_text(receipts))
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::json[]) AS r(id, order_id, reason, requested_at, receipts)
         ON CONFLICT (id) DO UPDATE SET receipts = EXCLUDED.receipts`,
  values: [
    rows.map((r) => r.id),
    rows.map((r) => r.orderId),
    rows.map((r) => r.reason),
    rows.map((r) => r.requestedAt),
    rows.map((r) => JSON.stringify(r.receipts)),
  ],
});

export interface ReturnLineRow {
  readonly returnId: string;
  readonly productId: string;
  readonly requested: number;
  readonly received: number;
  readonly damaged: number;
}

export const upsertReturnLines = (rows: readonly ReturnLineRow[]): Query => ({
  name: "adjustments.upsert_return_lines",
  text: `INSERT INTO order_return_lines (return_id, product_id, requested, received, damaged)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::int[])
         ON CONFLICT (return_id, product_id) DO UPDATE SET received = EXCLUDED.received, damaged = EXCLUDED.damaged`,
  values: [
    rows.map((r) => r.returnId),
    rows.map((r) => r.productId),
    rows.map((r) => r.requested),
    rows.map((r) => r.received),
    rows.map((r) => r.damaged),
  ],
});

export const insertCauses = (rows: readonly { orderId: string; cause: string }[]): Query => ({
  name: "adjustments.insert_causes",
  text: `INSERT INTO order_adjustment_causes (order_id, cause)
         SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING`,
  values: [rows.map((r) => r.orderId), rows.map((r) => r.cause)],
});

export const updateDeliveredAt = (rows: readonly { orderId: string; at: string }[]): Query => ({
  name: "adjustments.delivered_at_set",
  text: `UPDATE orders o SET delivered_at = u.at FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
          WHERE o.id = u.id AND o.delivered_at IS NULL`,
  values: [rows.map((r) => r.orderId), rows.map((r) => r.at)],
});

/** The amount requested under one refund id (null: no such request). */
export const selectRefundRequest = (orderId: string, refundId: string): Query => ({
  name: "adjustments.refund_request",
  text: `SELECT amount::text AS amount FROM order_ledger WHERE order_id = $1 AND refund_id = $2 AND kind = 'REFUND_REQUESTED'`,
  values: [orderId, refundId],
});

/** Owner and lifecycle status of one order (reads of lines, money and returns). */
export const selectOrderHead = (id: string): Query => ({
  name: "adjustments.order_head",
  text: `SELECT user_id AS "userId", status, currency FROM orders WHERE id = $1`,
  values: [id],
});

/**
 * Partial refunds the ledger requested before `before` and has not seen settled (reconciliation).
 * The whole remainder's refund (`refund:<order id>`) is the order sweep's (CANCELLED, SUCCEEDED).
 */
export const selectOutstandingRefunds = (before: Date, limit: number): Query => ({
  name: "adjustments.outstanding_refunds",
  text: `SELECT r.order_id AS "orderId", o.status, o.payment_status AS "paymentStatus", r.refund_id AS "refundId",
                r.amount::text AS amount
           FROM order_ledger r JOIN orders o ON o.id = r.order_id
          WHERE r.kind = 'REFUND_REQUESTED' AND r.at < $1 AND r.refund_id <> 'refund:' || r.order_id
            AND NOT EXISTS (SELECT 1 FROM order_ledger s
                             WHERE s.order_id = r.order_id AND s.refund_id = r.refund_id AND s.kind = 'REFUND_SETTLED')
          ORDER BY r.at
          LIMIT $2`,
  values: [before, limit],
});

/** Captured and settled-refund sums per order (the end-to-end checker compares them with the payment service). */
export const selectLedgerSums = (orderIds: readonly string[]): Query => ({
  name: "adjustments.ledger_sums",
  text: `SELECT o.id AS "orderId",
                COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'CAPTURE'), 0)::numeric(14,2)::text AS captured,
                COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'REFUND_SETTLED'), 0)::numeric(14,2)::text AS refunded,
                COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'REFUND_REQUESTED'), 0)::numeric(14,2)::text AS "refundRequested"
           FROM orders o LEFT JOIN order_ledger l ON l.order_id = o.id
          WHERE o.id = ANY($1::uuid[]) GROUP BY o.id`,
  values: [orderIds],
});
