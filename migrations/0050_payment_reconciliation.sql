-- Payment reconciliation (issue 10, docs/lifecycle.md "Reconciliation with the payment service").
-- A scheduled job compares orders whose payment is not final, and cancelled orders whose payment
-- is not REFUNDED, with the payment service's own record. A cancelled order whose payment was
-- closed as FAILED without the service's word (abandoned) is asked about once:
-- `payment_checked_at` records that the service confirmed it holds no capture, so the sweep does
-- not ask again for every such order forever. Bookkeeping only: no lifecycle state lives here.
ALTER TABLE orders ADD COLUMN payment_checked_at timestamptz;

-- The sweep's candidates, by age (updated_at): small, because a healthy system moves every order
-- out of these states within seconds.
CREATE INDEX orders_payment_reconcile_idx ON orders (updated_at)
  WHERE (status = 'CANCELLED' AND payment_status IN ('PENDING', 'SUCCEEDED'))
     OR (status = 'CANCELLED' AND payment_status = 'FAILED' AND payment_checked_at IS NULL)
     OR (status = 'PENDING' AND payment_status = 'PENDING');
