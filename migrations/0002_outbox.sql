-- The transactional outbox (DESIGN §2, §5, §6). Column names id/aggregatetype/aggregateid/type/payload
-- are what Debezium's outbox EventRouter expects; the ce_* columns hold the CloudEvents header values
-- as the exact strings both the relay and Debezium put on the Kafka record.
CREATE TABLE outbox (
  id             uuid PRIMARY KEY,                          -- the event id = ce_id
  aggregatetype  text NOT NULL,
  aggregateid    text NOT NULL,                             -- order id = Kafka key = ce_subject
  type           text NOT NULL CONSTRAINT outbox_type_valid CHECK (type ~ '^[A-Z][A-Za-z]{1,63}$'),
  payload        jsonb NOT NULL,
  -- Commit order is not sequence order; the relay reads only rows whose writing transaction
  -- is older than every running one (txid < pg_snapshot_xmin), so a late commit is never skipped.
  sequence       bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT outbox_sequence_unique UNIQUE,
  txid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ce_specversion text NOT NULL DEFAULT '1.0',
  ce_source      text NOT NULL,
  ce_time        text NOT NULL,
  content_type   text NOT NULL DEFAULT 'application/json',
  traceparent    text CONSTRAINT outbox_traceparent_format CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz,
  attempts       integer NOT NULL DEFAULT 0 CONSTRAINT outbox_attempts_non_negative CHECK (attempts >= 0),
  last_error     text,
  parked_at      timestamptz                                -- set when a row kept failing; see relay status
);

-- What the relay drains: unpublished rows in sequence order.
CREATE INDEX outbox_unpublished_idx ON outbox (sequence) WHERE published_at IS NULL;
-- Replay by range and retention clean-up walk published rows by sequence / age.
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregateid, sequence);

-- Wakes relays as soon as a row commits (NOTIFY is delivered at commit; payload-less so that
-- many inserts in one transaction fold into one notification).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_inserted', '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify_after_insert AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
