-- Issue 14: payment reconciliation also reads cash-on-delivery orders delivered and waiting for
-- their capture (DELIVERED with payment PENDING): a lost PaymentSuccess of the collected cash is
-- found there like any other capture. The partial index follows the sweep's predicate
-- (packages/db/src/sql/reconciliation.ts) so the planner keeps using it.
DROP INDEX orders_payment_reconcile_idx;
CREATE INDEX orders_payment_reconcile_idx ON orders (updated_at)
  WHERE (status = 'CANCELLED' AND payment_status IN ('PENDING', 'SUCCEEDED'))
     OR (status = 'CANCELLED' AND payment_status = 'FAILED' AND payment_checked_at IS NULL)
     OR (status = 'PENDING' AND payment_status = 'PENDING')
     OR (status = 'DELIVERED' AND payment_status = 'PENDING');
