import type { Query } from "./query.ts";

/* Payment attempts (issue 14, migrations/0090_payment_attempts.sql). */

/** Attempts of several orders, each order's in number order. */
export const selectPaymentAttempts = (orderIds: readonly string[]): Query => ({
  name: "payment_attempts.select",
  text: `SELECT order_id AS "orderId", attempt AS "number", method, idempotency_key AS "idempotencyKey", status, origin,
                amount::text AS amount, failure_reason AS "failureReason", retryable, started_at AS "startedAt", decided_at AS "decidedAt"
           FROM payment_attempts WHERE order_id IN (SELECT unnest($1::uuid[])) ORDER BY order_id, attempt`,
  values: [orderIds],
});

/** The order's own payment method and the action-required deadline. */
export const selectPaymentHeads = (orderIds: readonly string[]): Query => ({
  name: "payment_attempts.heads",
  text: `SELECT id AS "orderId", payment_method AS method, payment_action_deadline AS "actionDeadline"
           FROM orders WHERE id = ANY($1::uuid[])`,
  values: [orderIds],
});

/** One attempt as an order's detail shows it. */
export interface PaymentAttemptView {
  readonly number: number;
  readonly method: string;
  readonly idempotencyKey: string;
  readonly status: string;
  readonly origin: string;
  readonly amount: string;
  readonly failureReason: string | null;
  readonly retryable: boolean | null;
  readonly startedAt: string;
  readonly decidedAt: string | null;
}

export interface PaymentAttemptRow extends PaymentAttemptView {
  readonly orderId: string;
}

/** New attempts and changed ones (status, failure, decided_at); number, key, origin and start never change. */
export const upsertPaymentAttempts = (rows: readonly PaymentAttemptRow[]): Query => ({
  name: "payment_attempts.upsert",
  text: `INSERT INTO payment_attempts (order_id, attempt, method, idempotency_key, status, origin, amount, failure_reason, retryable, started_at, decided_at)
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::text[], $9::bool[],
                              $10::timestamptz[], $11::timestamptz[])
         ON CONFLICT (order_id, attempt) DO UPDATE
            SET status = EXCLUDED.status, failure_reason = EXCLUDED.failure_reason, retryable = EXCLUDED.retryable,
                decided_at = EXCLUDED.decided_at`,
  values: [
    rows.map((r) => r.orderId),
    rows.map((r) => r.number),
    rows.map((r) => r.method),
    rows.map((r) => r.idempotencyKey),
    rows.map((r) => r.status),
    rows.map((r) => r.origin),
    rows.map((r) => r.amount),
    rows.map((r) => r.failureReason),
    rows.map((r) => r.retryable),
    rows.map((r) => r.startedAt),
    rows.map((r) => r.decidedAt),
  ],
});

export const updatePaymentActionDeadlines = (rows: readonly { orderId: string; deadline: string }[]): Query => ({
  name: "payment_attempts.set_deadline",
  text: `UPDATE orders o SET payment_action_deadline = u.deadline
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, deadline) WHERE o.id = u.id`,
  values: [rows.map((r) => r.orderId), rows.map((r) => r.deadline)],
});

/** Orders whose action-required window closed before `now`, earliest deadline first (partial index). */
export const selectPaymentActionExpired = (now: Date, limit: number): Query => ({
  name: "payment_attempts.expired",
  text: `SELECT id, payment_action_deadline AS deadline FROM orders
          WHERE payment_status = 'ACTION_REQUIRED' AND status = 'PENDING' AND payment_action_deadline < $1
          ORDER BY payment_action_deadline LIMIT $2`,
  values: [now, limit],
});
