-- Issue 13: line quantities, the money ledger and returns (docs/lifecycle.md "Returns and refunds").
-- Statuses are never stored here: the API derives money, fulfilment and return statuses from these
-- rows (packages/domain/src/adjustments). Constraints mirror the domain's invariants so that a bug
-- cannot store a unit in two places or refund more than was captured.

-- Each unit of a line is in exactly one bucket (lineBuckets): every bucket is >= 0.
ALTER TABLE order_items
  ADD COLUMN cancelled_qty        integer NOT NULL DEFAULT 0,
  ADD COLUMN shipped_qty          integer NOT NULL DEFAULT 0,
  ADD COLUMN delivered_qty        integer NOT NULL DEFAULT 0,
  ADD COLUMN return_requested_qty integer NOT NULL DEFAULT 0,
  ADD COLUMN received_qty         integer NOT NULL DEFAULT 0,
  ADD COLUMN damaged_qty          integer NOT NULL DEFAULT 0,
  ADD COLUMN restocked_qty        integer NOT NULL DEFAULT 0,
  ADD CONSTRAINT order_items_buckets_non_negative CHECK (
        cancelled_qty >= 0 AND restocked_qty >= 0 AND damaged_qty >= 0
    AND quantity - cancelled_qty - shipped_qty >= 0
    AND shipped_qty - delivered_qty >= 0
    AND delivered_qty - return_requested_qty >= 0
    AND return_requested_qty - received_qty - damaged_qty >= 0
    AND received_qty - restocked_qty >= 0);

-- When the delivery was recorded: the return window counts from here (a fact, not a status).
ALTER TABLE orders ADD COLUMN delivered_at timestamptz;

-- Append-only money ledger. Kinds mirror LEDGER_KINDS in packages/domain/src/adjustments/ledger.ts.
CREATE TABLE order_ledger (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id  uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  kind      text NOT NULL CONSTRAINT order_ledger_kind_valid CHECK (kind IN ('CAPTURE','REFUND_REQUESTED','REFUND_SETTLED')),
  amount    numeric(14,2) NOT NULL CONSTRAINT order_ledger_amount_positive CHECK (amount > 0),
  reason    text NOT NULL,
  cause     text NOT NULL,
  refund_id text,
  at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT order_ledger_refund_id_present CHECK ((kind = 'CAPTURE') = (refund_id IS NULL))
);
CREATE INDEX order_ledger_order_idx ON order_ledger (order_id, id);
-- One capture per order; one request and one settlement per refund id.
CREATE UNIQUE INDEX order_ledger_one_capture ON order_ledger (order_id) WHERE kind = 'CAPTURE';
CREATE UNIQUE INDEX order_ledger_one_per_refund ON order_ledger (order_id, refund_id, kind) WHERE refund_id IS NOT NULL;

-- Returns (RMA) and what was asked back and what arrived, per line.
CREATE TABLE order_returns (
  id           uuid PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  reason       text NOT NULL CONSTRAINT order_returns_reason_length CHECK (char_length(reason) BETWEEN 1 AND 500),
  requested_at timestamptz NOT NULL,
  receipts     text[] NOT NULL DEFAULT '{}'    -- ids of the receipts recorded (their refunds are refund:<id>)
);
CREATE INDEX order_returns_order_idx ON order_returns (order_id, id);

CREATE TABLE order_return_lines (
  return_id  uuid NOT NULL REFERENCES order_returns (id) ON DELETE CASCADE,
  product_id text NOT NULL,
  requested  integer NOT NULL CONSTRAINT order_return_lines_requested_positive CHECK (requested > 0),
  received   integer NOT NULL DEFAULT 0,
  damaged    integer NOT NULL DEFAULT 0,
  PRIMARY KEY (return_id, product_id),
  CONSTRAINT order_return_lines_arrived CHECK (received >= 0 AND damaged >= 0 AND received + damaged <= requested)
);

-- Ids of the adjustment commands applied to an order (the domain's `causes`): the same input
-- twice changes nothing even when it comes through a different consumer name.
CREATE TABLE order_adjustment_causes (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  cause    text NOT NULL,
  at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, cause)
);

-- Existing orders: their lines and money as the ledger would have recorded them.
UPDATE order_items i SET cancelled_qty = i.quantity FROM orders o WHERE o.id = i.order_id AND o.status = 'CANCELLED';
UPDATE order_items i SET shipped_qty = i.quantity, delivered_qty = CASE WHEN o.status = 'DELIVERED' THEN i.quantity ELSE 0 END
  FROM orders o WHERE o.id = i.order_id AND o.status IN ('SHIPPED', 'DELIVERED');
UPDATE orders SET delivered_at = updated_at WHERE status = 'DELIVERED';
INSERT INTO order_ledger (order_id, kind, amount, reason, cause, refund_id)
  SELECT id, 'CAPTURE', total_amount, 'payment captured', 'migration:0080', NULL
    FROM orders WHERE payment_status IN ('SUCCEEDED', 'REFUNDED') AND total_amount > 0;
INSERT INTO order_ledger (order_id, kind, amount, reason, cause, refund_id)
  SELECT id, 'REFUND_REQUESTED', total_amount, 'cancelled', 'migration:0080', 'refund:' || id
    FROM orders WHERE total_amount > 0 AND (payment_status = 'REFUNDED' OR (status = 'CANCELLED' AND payment_status = 'SUCCEEDED'));
INSERT INTO order_ledger (order_id, kind, amount, reason, cause, refund_id)
  SELECT id, 'REFUND_SETTLED', total_amount, 'cancelled', 'migration:0080', 'refund:' || id
    FROM orders WHERE total_amount > 0 AND payment_status = 'REFUNDED';
