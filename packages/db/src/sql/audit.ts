import type { Query } from "./query.ts";

/*
 * Read-only queries of the end-to-end checker (devkit/stack): they look at several
 * aggregates at once to prove nothing was lost or applied twice. Not used on any hot path.
 */

/** Per order: statuses, version, outbox event counts and the applied part of its timeline. */
export const selectOrderAudit = (orderIds: readonly string[]): Query => ({
  text: `SELECT o.id, o.status, o.inventory_status, o.payment_status, o.delivery_status, o.version,
       (SELECT count(*)::int FROM outbox x WHERE x.aggregateid = o.id::text AND x.type = 'OrderCreated') AS created,
       (SELECT count(*)::int FROM outbox x WHERE x.aggregateid = o.id::text AND x.type = 'OrderConfirmed') AS confirmed,
       (SELECT count(*)::int FROM outbox x WHERE x.aggregateid = o.id::text AND x.type = 'OrderCancelled') AS cancelled,
       (SELECT count(*)::int FROM outbox x WHERE x.aggregateid = o.id::text AND x.published_at IS NULL) AS unpublished,
       (SELECT count(*)::int FROM order_status_history h WHERE h.order_id = o.id AND h.reason NOT LIKE 'skipped %') AS applied_rows,
       (SELECT count(*)::int FROM (SELECT caused_by FROM order_status_history h WHERE h.order_id = o.id AND h.reason NOT LIKE 'skipped %'
                                    GROUP BY caused_by HAVING count(*) > 1) d) AS dup_causes,
       ARRAY(SELECT h.status FROM order_status_history h WHERE h.order_id = o.id AND h.reason NOT LIKE 'skipped %' ORDER BY h.id) AS statuses
  FROM orders o WHERE o.id = ANY($1::uuid[])`,
  values: [orderIds],
});

export const selectOutboxIdsOf = (orderIds: readonly string[]): Query => ({
  text: "SELECT id FROM outbox WHERE aggregateid = ANY($1::text[])",
  values: [orderIds],
});

export const countUnpublishedOf = (orderIds: readonly string[]): Query => ({
  text: "SELECT count(*)::int AS n FROM outbox WHERE aggregateid = ANY($1::text[]) AND published_at IS NULL",
  values: [orderIds],
});

export const selectProcessedIds = (consumer: string, messageIds: readonly string[]): Query => ({
  text: "SELECT message_id FROM processed_messages WHERE consumer = $1 AND message_id = ANY($2::text[])",
  values: [consumer, messageIds],
});

// A delivered cash-on-delivery order is settled once its capture is recorded (payment no longer PENDING, issue 14).
const SETTLED = `((status = 'DELIVERED' AND payment_status <> 'PENDING') OR (status = 'CANCELLED' AND inventory_status <> 'RESERVED'
                   AND payment_status NOT IN ('SUCCEEDED', 'PENDING')))`;

/** Counts by status and how many are settled (final, nothing left to compensate). */
export const selectSettledProgress = (orderIds: readonly string[]): Query => ({
  text: `SELECT status, count(*)::int AS n,
            count(*) FILTER (WHERE ${SETTLED})::int AS settled
       FROM orders WHERE id = ANY($1::uuid[]) GROUP BY status`,
  values: [orderIds],
});

/** Whole-database activity counters: unchanged between two reads means the system is quiet. */
export const selectActivityCounters = (): Query => ({
  text: `SELECT (SELECT count(*) FROM processed_messages)::int AS applied, (SELECT count(*) FROM outbox)::int AS outbox,
                (SELECT count(*) FROM outbox WHERE published_at IS NULL)::int AS unpublished`,
  values: [],
});

/** Orders not settled yet, with their timelines: what a stuck end-to-end run reports. */
export const selectUnsettledOrders = (orderIds: readonly string[]): Query => ({
  text: `SELECT o.id, o.status, o.inventory_status AS "inventoryStatus", o.payment_status AS "paymentStatus",
                o.delivery_status AS "deliveryStatus", o.version,
                ARRAY(SELECT h.status || ' | ' || h.reason || ' | ' || h.caused_by FROM order_status_history h
                       WHERE h.order_id = o.id ORDER BY h.id) AS timeline
           FROM orders o WHERE o.id = ANY($1::uuid[]) AND NOT ${SETTLED} ORDER BY o.id LIMIT 50`,
  values: [orderIds],
});

/** Per order: its sub-statuses and whole timeline (applied and skipped rows), for violation reports. */
export const selectOrderTimelines = (orderIds: readonly string[]): Query => ({
  text: `SELECT o.id, o.status, o.inventory_status AS "inventoryStatus", o.payment_status AS "paymentStatus",
                o.delivery_status AS "deliveryStatus",
                ARRAY(SELECT to_char(h.at, 'HH24:MI:SS.MS') || ' ' || h.status || ' | ' || h.reason || ' | ' || coalesce(h.caused_by, '')
                        FROM order_status_history h WHERE h.order_id = o.id ORDER BY h.id) AS timeline
           FROM orders o WHERE o.id = ANY($1::uuid[])`,
  values: [orderIds],
});

/** The fault suite's open transaction: a row lock on the newest order (taken in a session's BEGIN). */
export const lockNewestOrder = (): Query => ({
  text: "SELECT id FROM orders ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
  values: [],
});

/**
 * Outbox rows written in [from, to − settleMs) and how many of them were published by `to`:
 * did publishing go on while something (an open transaction) was held?
 */
export const countPublishedDuring = (from: Date, to: Date, settleMs: number): Query => ({
  text: `SELECT count(*)::int AS created, count(*) FILTER (WHERE published_at <= $2)::int AS published
           FROM outbox WHERE created_at >= $1 AND created_at < $2::timestamptz - make_interval(secs => $3::float8 / 1000)`,
  values: [from, to, settleMs],
});
