-- Idempotency-Key records (DESIGN §4), scoped per user. A key is IN_FLIGHT while its first request
-- runs, holding a lease (locked_until) so a crashed request does not block retries forever;
-- the COMPLETED row and the order it created commit in the same transaction.
CREATE TABLE idempotency_keys (
  user_id             text NOT NULL,
  key                 text NOT NULL CONSTRAINT idempotency_keys_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
  request_fingerprint text NOT NULL,
  state               text NOT NULL DEFAULT 'IN_FLIGHT' CONSTRAINT idempotency_keys_state_valid CHECK (state IN ('IN_FLIGHT','COMPLETED')),
  lease_token         uuid,
  locked_until        timestamptz,
  response_status     integer CONSTRAINT idempotency_keys_status_range CHECK (response_status BETWEEN 100 AND 599),
  response_headers    jsonb,
  response_body       text,                                -- text, not jsonb: replayed byte for byte
  order_id            uuid REFERENCES orders (id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL,
  PRIMARY KEY (user_id, key),
  CONSTRAINT idempotency_keys_completed_has_response CHECK (state <> 'COMPLETED' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
