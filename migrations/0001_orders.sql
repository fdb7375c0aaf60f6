-- Orders and their line items (DESIGN §2). Status values mirror packages/domain/src/lifecycle/statuses.ts.
CREATE TABLE orders (
  id               uuid PRIMARY KEY,                       -- UUIDv7: time-ordered, used as keyset cursor
  user_id          text NOT NULL CONSTRAINT orders_user_id_format CHECK (user_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  status           text NOT NULL DEFAULT 'PENDING'
                   CONSTRAINT orders_status_valid CHECK (status IN ('PENDING','CONFIRMED','SHIPPED','DELIVERED','CANCELLED')),
  total_amount     numeric(14,2) NOT NULL CONSTRAINT orders_total_non_negative CHECK (total_amount >= 0),
  currency         text NOT NULL CONSTRAINT orders_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
  shipping_address text NOT NULL CONSTRAINT orders_shipping_address_length CHECK (char_length(shipping_address) BETWEEN 1 AND 500),
  payment_method   text NOT NULL
                   CONSTRAINT orders_payment_method_valid CHECK (payment_method IN ('card','upi','netbanking','wallet','cod')),
  inventory_status text NOT NULL DEFAULT 'PENDING'
                   CONSTRAINT orders_inventory_status_valid CHECK (inventory_status IN ('PENDING','RESERVED','FAILED','RELEASED')),
  payment_status   text NOT NULL DEFAULT 'NOT_STARTED'
                   CONSTRAINT orders_payment_status_valid CHECK (payment_status IN ('NOT_STARTED','PENDING','SUCCEEDED','FAILED','REFUNDED')),
  delivery_status  text NOT NULL DEFAULT 'NOT_STARTED'
                   CONSTRAINT orders_delivery_status_valid CHECK (delivery_status IN ('NOT_STARTED','SHIPPED','DELIVERED')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1 CONSTRAINT orders_version_positive CHECK (version >= 1)
);

-- A user's history, newest first: WHERE user_id = $1 AND id < $cursor ORDER BY id DESC.
CREATE INDEX orders_user_history_idx ON orders (user_id, id DESC);
-- Admin listing filtered by status, same keyset.
CREATE INDEX orders_status_idx ON orders (status, id DESC);
-- The PENDING-deadline sweep reads only the few orders still waiting.
CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'PENDING';

CREATE TABLE order_items (
  id         uuid PRIMARY KEY,
  order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  product_id text NOT NULL CONSTRAINT order_items_product_id_format CHECK (product_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  quantity   integer NOT NULL CONSTRAINT order_items_quantity_range CHECK (quantity > 0 AND quantity <= 1000),
  price      numeric(14,2) NOT NULL CONSTRAINT order_items_price_non_negative CHECK (price >= 0),  -- unit price snapshot
  CONSTRAINT order_items_distinct_product UNIQUE (order_id, product_id)
);

CREATE TABLE order_status_history (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id  uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  status    text NOT NULL
            CONSTRAINT order_status_history_status_valid CHECK (status IN ('PENDING','CONFIRMED','SHIPPED','DELIVERED','CANCELLED')),
  reason    text NOT NULL,
  caused_by text NOT NULL,                                 -- event id, request id or job id
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);
