-- The consumer's dedup table: a message is applied in the same transaction that inserts its row.
CREATE TABLE processed_messages (
  consumer     text NOT NULL,
  message_id   text NOT NULL CONSTRAINT processed_messages_message_id_length CHECK (char_length(message_id) BETWEEN 1 AND 200),
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
CREATE INDEX processed_messages_processed_at_idx ON processed_messages (processed_at);
