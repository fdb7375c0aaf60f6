-- Issue 14: payment attempts a customer can retry (docs/lifecycle.md "Payment attempts").

-- A final decline leaves the order PENDING with payment ACTION_REQUIRED until the customer starts
-- another attempt or the window closes (PAYMENT_STATUSES in packages/domain/src/lifecycle/statuses.ts).
ALTER TABLE orders DROP CONSTRAINT orders_payment_status_valid,
  ADD CONSTRAINT orders_payment_status_valid
      CHECK (payment_status IN ('NOT_STARTED','PENDING','SUCCEEDED','FAILED','REFUNDED','ACTION_REQUIRED'));
-- When the action-required window closes (set by the one writer on each final decline).
ALTER TABLE orders ADD COLUMN payment_action_deadline timestamptz;
-- The expiry sweep reads only the orders waiting for the customer.
CREATE INDEX orders_payment_action_deadline_idx ON orders (payment_action_deadline) WHERE payment_status = 'ACTION_REQUIRED';

-- One row per attempt; statuses and origins mirror packages/domain/src/payments/attempts.ts.
CREATE TABLE payment_attempts (
  order_id        uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  attempt         integer NOT NULL CONSTRAINT payment_attempts_number_positive CHECK (attempt >= 1),
  method          text NOT NULL CONSTRAINT payment_attempts_method_valid CHECK (method IN ('card','upi','netbanking','wallet','cod')),
  -- The payment service's Idempotency-Key of this attempt: order id + attempt number.
  idempotency_key text NOT NULL CONSTRAINT payment_attempts_key_unique UNIQUE,
  status          text NOT NULL CONSTRAINT payment_attempts_status_valid CHECK (status IN ('STARTED','SUCCEEDED','FAILED','ABANDONED','REFUNDED')),
  origin          text NOT NULL CONSTRAINT payment_attempts_origin_valid CHECK (origin IN ('initial','automatic','customer')),
  amount          numeric(14,2) NOT NULL CONSTRAINT payment_attempts_amount_non_negative CHECK (amount >= 0),
  failure_reason  text,
  retryable       boolean,
  started_at      timestamptz NOT NULL,
  decided_at      timestamptz,
  PRIMARY KEY (order_id, attempt),
  CONSTRAINT payment_attempts_failure_has_reason CHECK ((status = 'FAILED') = (failure_reason IS NOT NULL))
);
-- At most one attempt's capture is the order's payment; any other capture is refunded (REFUNDED).
CREATE UNIQUE INDEX payment_attempts_one_capture ON payment_attempts (order_id) WHERE status = 'SUCCEEDED';
-- The PENDING deadline counts from a customer's latest attempt (lifecycle.pending_before).
CREATE INDEX payment_attempts_customer_idx ON payment_attempts (order_id, started_at) WHERE origin = 'customer';

-- A second capture (another attempt captured after the first) is recorded and refunded: one primary
-- capture per order as before, plus at most one per attempt under the cause attempt:<n>:capture.
DROP INDEX order_ledger_one_capture;
CREATE UNIQUE INDEX order_ledger_one_capture ON order_ledger (order_id) WHERE kind = 'CAPTURE' AND cause NOT LIKE 'attempt:%';
CREATE UNIQUE INDEX order_ledger_one_capture_per_attempt ON order_ledger (order_id, cause) WHERE kind = 'CAPTURE' AND cause LIKE 'attempt:%';
