-- The order-history read model (issue 15; docs/decisions.md "issue 15"): its OWN database, built by
-- apps/projector from the `orders` topic alone — no table of the write database is read here.
-- Applied by the same runner as migrations/ (one transaction under the advisory lock, checksums),
-- pointed at this folder and the read database.

-- Every record of `orders` the projector received, once per (order, ce_sequence): the idempotency
-- key (a redelivery, a relay re-send, a replay or a rebuild inserts nothing new) and the source of
-- the timeline endpoint.
CREATE TABLE order_events (
  order_id uuid NOT NULL,
  sequence bigint NOT NULL CHECK (sequence BETWEEN 1 AND 9999999999),
  event_id uuid NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  projected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, sequence)
);

-- One row per order: the history and admin-list endpoints' page, folded from order_events in
-- sequence order (OrderCreated + the last OrderStatusChanged). `version` is the write side's
-- order version as of the last step projected (read-your-writes waits for it); `contiguous` the
-- highest n with events 1..n all present, `last_sequence` the highest seen (contiguous <
-- last_sequence: a gap, projected anyway and counted).
CREATE TABLE order_history (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  status text NOT NULL,
  inventory_status text NOT NULL,
  payment_status text NOT NULL,
  delivery_status text NOT NULL,
  total_amount numeric(14,2) NOT NULL,
  currency text NOT NULL,
  shipping_address text NOT NULL,
  payment_method text NOT NULL,
  item_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL,
  contiguous bigint NOT NULL,
  last_sequence bigint NOT NULL
);

-- Keyset pages, newest first (UUIDv7 ids sort by creation time), per user and per status.
CREATE INDEX order_history_user_idx ON order_history (user_id, id DESC);
CREATE INDEX order_history_status_idx ON order_history (status, id DESC);
