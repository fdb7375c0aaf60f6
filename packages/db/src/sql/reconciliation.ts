import type { Query } from "./query.ts";

/*
 * Payment reconciliation (docs/lifecycle.md): which orders to compare with the payment service,
 * and the bookkeeping of a cancelled order the service confirmed it never charged.
 */

/**
 * Orders whose payment may disagree with the payment service, money owed first, then oldest
 * change first: refunds outstanding and cancelled payments left PENDING, then live orders waiting
 * for a result, then cancelled payments closed without the service's word. A run looks at `limit`
 * orders; ordered by age alone, a backlog of closed payments to confirm (thousands after an outage)
 * kept a newer refund out of every run (the 10 000-order soak: 38 refunds never made). The predicate
 * matches the partial index `orders_payment_reconcile_idx` (migration 0050).
 * - CANCELLED with payment PENDING (nobody will send its charge) or SUCCEEDED (refund outstanding);
 * - CANCELLED with payment FAILED never confirmed by the service (changed within the lookback);
 * - PENDING with payment PENDING (its result may be lost; a capture confirms it);
 * - DELIVERED with payment PENDING: cash on delivery whose capture's result may be lost (issue 14,
 *   migration 0091 widens the index).
 * Only orders unchanged since `changedBefore`: a result in flight settles younger ones by itself.
 */
export const selectPaymentReconcileCandidates = (changedBefore: Date, changedAfter: Date, limit: number): Query => ({
  name: "reconcile.candidates",
  text: `SELECT id, status, inventory_status AS "inventoryStatus", payment_status AS "paymentStatus",
                delivery_status AS "deliveryStatus", total_amount::text AS "totalAmount", updated_at AS "updatedAt"
           FROM orders
          WHERE ((status = 'CANCELLED' AND payment_status IN ('PENDING', 'SUCCEEDED'))
              OR (status = 'CANCELLED' AND payment_status = 'FAILED' AND payment_checked_at IS NULL AND updated_at > $2)
              OR (status = 'PENDING' AND payment_status = 'PENDING')
              OR (status = 'DELIVERED' AND payment_status = 'PENDING'))
            AND updated_at < $1
          ORDER BY CASE WHEN status = 'CANCELLED' AND payment_status IN ('PENDING', 'SUCCEEDED') THEN 0
                        WHEN status IN ('PENDING', 'DELIVERED') THEN 1
                        ELSE 2 END,
                   updated_at
          LIMIT $3`,
  values: [changedBefore, changedAfter, limit],
});

/** The service confirmed it holds no capture for these cancelled orders: do not ask again. */
export const markPaymentChecked = (ids: readonly string[]): Query => ({
  name: "reconcile.mark_checked",
  text: `UPDATE orders SET payment_checked_at = now() WHERE id = ANY($1::uuid[]) AND payment_checked_at IS NULL`,
  values: [ids],
});
