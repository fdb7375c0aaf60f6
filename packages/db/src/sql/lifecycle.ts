import type { OutboxEventRow } from "./outbox.ts";
import type { Query } from "./query.ts";

/*
 * Set-based statements for applying many lifecycle events in one transaction: one round trip
 * per statement whatever the batch size (the consumer's hot path).
 */

/** The lifecycle part of several orders, locked in id order (a fixed order avoids deadlocks). */
export const selectOrderStatesForUpdate = (ids: readonly string[]): Query => ({
  name: "lifecycle.lock_orders",
  text: `SELECT id, user_id AS "userId", status, inventory_status AS "inventoryStatus", payment_status AS "paymentStatus",
                delivery_status AS "deliveryStatus", total_amount::text AS "totalAmount", currency, version
           FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
  values: [ids],
});

export interface OrderStateRow {
  readonly id: string;
  readonly status: string;
  readonly inventoryStatus: string;
  readonly paymentStatus: string;
  readonly deliveryStatus: string;
  readonly expectedVersion: number;
  readonly newVersion: number;
}

/** Optimistic on `version`: returns the ids that were updated (a missing id = lost race). */
export const updateOrderStates = (rows: readonly OrderStateRow[]): Query => ({
  name: "lifecycle.update_orders",
  text: `UPDATE orders o SET status = u.status, inventory_status = u.inv, payment_status = u.pay, delivery_status = u.del,
                version = u.new_version, updated_at = now()
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[])
                AS u(id, status, inv, pay, del, expected_version, new_version)
          WHERE o.id = u.id AND o.version = u.expected_version
      RETURNING o.id`,
  values: [
    rows.map((r) => r.id),
    rows.map((r) => r.status),
    rows.map((r) => r.inventoryStatus),
    rows.map((r) => r.paymentStatus),
    rows.map((r) => r.deliveryStatus),
    rows.map((r) => r.expectedVersion),
    rows.map((r) => r.newVersion),
  ],
});

export interface TimelineRow {
  readonly orderId: string;
  readonly status: string;
  readonly reason: string;
  readonly causedBy: string;
}

/** Timeline rows in the given order (identity ids follow the ordinality). */
export const insertHistoryRows = (rows: readonly TimelineRow[]): Query => ({
  name: "lifecycle.insert_history",
  text: `INSERT INTO order_status_history (order_id, status, reason, caused_by)
         SELECT order_id, status, reason, caused_by
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS h(order_id, status, reason, caused_by, n)
          ORDER BY n`,
  values: [rows.map((r) => r.orderId), rows.map((r) => r.status), rows.map((r) => r.reason), rows.map((r) => r.causedBy)],
});

/**
 * Outbox rows (the row shape of `insertOutboxEvent`) in the given order, so `sequence` follows
 * it (per-order event order). `traceparent` is the caller's (the API's cancel request); events
 * applied from Kafka or jobs carry none.
 *
 * Per-order numbers (migration 0075) are taken here for the whole statement: one UPDATE raises
 * each order's `event_sequence` by its number of rows, and the rows are numbered above the old
 * value in the given order; the trigger checks a number against the counter under the order's
 * lock and formats `ce_sequence` (migration 0130). Before, the trigger ran one UPDATE of `orders`
 * per row, the consumer's largest PostgreSQL cost. Rows whose aggregate is not an order get no
 * number, as from the trigger.
 */
export const insertOutboxRows = (rows: readonly OutboxEventRow[]): Query => ({
  name: "lifecycle.insert_outbox",
  text: `WITH e AS MATERIALIZED (
           SELECT e.*, CASE WHEN e.aggregateid ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                            THEN e.aggregateid::uuid END AS order_id
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[])
                  WITH ORDINALITY AS e(id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent, n)
         ), raised AS (
           UPDATE orders o SET event_sequence = o.event_sequence + c.k
             FROM (SELECT order_id, count(*) AS k FROM e WHERE order_id IS NOT NULL GROUP BY order_id) c
            WHERE o.id = c.order_id
        RETURNING o.id, o.event_sequence - c.k AS base
         )
         INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent, aggregate_sequence)
         SELECT e.id, e.aggregatetype, e.aggregateid, e.type, e.payload, e.ce_source, e.ce_time, e.traceparent,
                r.base + row_number() OVER (PARTITION BY e.order_id ORDER BY e.n)
           FROM e LEFT JOIN raised r ON r.id = e.order_id
          ORDER BY e.n`,
  values: [
    rows.map((r) => r.id),
    rows.map((r) => r.aggregateType),
    rows.map((r) => r.aggregateId),
    rows.map((r) => r.type),
    rows.map((r) => JSON.stringify(r.payload)),
    rows.map((r) => r.source),
    rows.map((r) => r.time),
    rows.map((r) => r.traceparent ?? null),
  ],
});

/**
 * The two writes of an applied chunk in one statement: the orders' new states (optimistic on
 * `version`, as `updateOrderStates`) and their outbox rows (as `insertOutboxRows`). The same
 * UPDATE also raises each order's `event_sequence` by its number of rows, so an order's row gets
 * one new version per chunk instead of two (its state, then its counter); the rows are numbered
 * above the old counter in the given order. A row whose order is not updated here gets no number
 * from the statement and is numbered by the trigger as any other writer's. Returns `updated`,
 * the number of orders updated.
 */
export const updateOrderStatesWithOutbox = (states: readonly OrderStateRow[], rows: readonly OutboxEventRow[]): Query => ({
  name: "lifecycle.update_orders_with_outbox",
  text: `WITH e AS MATERIALIZED (
           SELECT e.*, CASE WHEN e.aggregateid ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                            THEN e.aggregateid::uuid END AS order_id
             FROM unnest($8::uuid[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[], $14::text[], $15::text[])
                  WITH ORDINALITY AS e(id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent, n)
         ), u AS (
           UPDATE orders o SET status = u.status, inventory_status = u.inv, payment_status = u.pay, delivery_status = u.del,
                  version = u.new_version, updated_at = now(), event_sequence = o.event_sequence + coalesce(c.k, 0)
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[])
                  AS u(id, status, inv, pay, del, expected_version, new_version)
                  LEFT JOIN (SELECT order_id, count(*) AS k FROM e WHERE order_id IS NOT NULL GROUP BY order_id) c ON c.order_id = u.id
            WHERE o.id = u.id AND o.version = u.expected_version
        RETURNING o.id, o.event_sequence - coalesce(c.k, 0) AS base
         ), inserted AS (
           INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent, aggregate_sequence)
           SELECT e.id, e.aggregatetype, e.aggregateid, e.type, e.payload, e.ce_source, e.ce_time, e.traceparent,
                  r.base + row_number() OVER (PARTITION BY e.order_id ORDER BY e.n)
             FROM e LEFT JOIN u r ON r.id = e.order_id
            ORDER BY e.n
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM u)::int AS updated, (SELECT count(*) FROM inserted)::int AS inserted`,
  values: [
    states.map((r) => r.id),
    states.map((r) => r.status),
    states.map((r) => r.inventoryStatus),
    states.map((r) => r.paymentStatus),
    states.map((r) => r.deliveryStatus),
    states.map((r) => r.expectedVersion),
    states.map((r) => r.newVersion),
    rows.map((r) => r.id),
    rows.map((r) => r.aggregateType),
    rows.map((r) => r.aggregateId),
    rows.map((r) => r.type),
    rows.map((r) => JSON.stringify(r.payload)),
    rows.map((r) => r.source),
    rows.map((r) => r.time),
    rows.map((r) => r.traceparent ?? null),
  ],
});

/**
 * Orders still PENDING that were created before `cutoff`, oldest first (partial index). A payment
 * waiting for the customer is governed by its window instead, and a customer's attempt restarts
 * the deadline (issue 14).
 */
export const selectPendingCreatedBefore = (cutoff: Date, limit: number): Query => ({
  name: "lifecycle.pending_before",
  text: `SELECT id FROM orders o
          WHERE status = 'PENDING' AND created_at < $1 AND payment_status <> 'ACTION_REQUIRED'
            AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.order_id = o.id AND a.origin = 'customer' AND a.started_at >= $1)
          ORDER BY created_at LIMIT $2`,
  values: [cutoff, limit],
});

/** What the PaymentInitiator needs to charge an order (no lock: the result decides later). */
export const selectOrderForPayment = (id: string): Query => ({
  name: "lifecycle.order_for_payment",
  text: `SELECT id, user_id AS "userId", status, payment_status AS "paymentStatus", total_amount::text AS "totalAmount",
                currency, payment_method AS "paymentMethod"
           FROM orders WHERE id = $1`,
  values: [id],
});
