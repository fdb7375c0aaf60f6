-- The relay publishes a committed row as soon as no earlier unpublished row of its order exists
-- (no database-wide xmin horizon; issue 10, docs/relay.md "Ordering"). That is safe only if one
-- order's outbox rows commit in `sequence` order, i.e. if every writer takes the sequence while
-- it holds the order's row lock and keeps that lock until it commits. Every writer of the
-- project does (create: the INSERT of the order row; cancel: the version-checked UPDATE;
-- consumer: SELECT … FOR UPDATE). The database enforces it for any future writer too: this
-- BEFORE trigger locks the order row and then takes the sequence again, under the lock (the
-- identity default was evaluated before the trigger ran, possibly before the lock). A writer
-- that already holds the lock pays an index probe and a re-lock of its own row; one that does
-- not waits for the order's other writers instead of slipping a lower sequence in behind a
-- later commit. (The skipped identity values only widen the gaps a sequence always has.)
-- Rows whose aggregate is not an existing order (tests, benchmarks) keep the identity default.
-- This replaces the rule 0002's comment on `txid` describes (read only rows older than every running
-- transaction); the column stays, as a record of which transaction wrote a row, but no claim reads it.
CREATE FUNCTION outbox_sequence_under_order_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.aggregateid ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
    -- NO KEY UPDATE: conflicts with every writer (FOR UPDATE, UPDATE, another NO KEY UPDATE),
    -- not with the KEY SHARE locks of foreign-key checks from order_items/history inserts.
    PERFORM 1 FROM orders WHERE id = NEW.aggregateid::uuid FOR NO KEY UPDATE;
    IF FOUND THEN
      NEW.sequence := nextval(pg_get_serial_sequence('outbox', 'sequence'));
    END IF;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER outbox_sequence_under_order_lock BEFORE INSERT ON outbox
  FOR EACH ROW EXECUTE FUNCTION outbox_sequence_under_order_lock();
