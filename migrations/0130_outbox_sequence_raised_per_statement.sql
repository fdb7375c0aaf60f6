-- Issue 17 follow-up (docs/benchmarks.md "Consumer CPU per event, stop 12"): 0075's trigger raised
-- the order's counter with one UPDATE of `orders` per outbox row. The consumer writes ~1.5 outbox
-- rows per applied event (OrderStatusChanged on every step, plus what the step publishes), so
-- every chunk ran hundreds of single-row UPDATEs of `orders` from inside the trigger; measured
-- in isolation that was ~200 µs of PostgreSQL time per row against ~24 µs per order for the same
-- increments as one set-based UPDATE, and it was the largest item in pg_stat_statements.
--
-- A writer that inserts many rows in one statement may now raise the counters itself, in that
-- same statement, and hand each row its number (lifecycle.insert_outbox: one UPDATE of the
-- chunk's orders by their row counts, the rows numbered in statement order above the old value).
-- The trigger accepts a supplied number only if it does not exceed the order's counter, which it
-- reads under the same FOR NO KEY UPDATE lock 0040 took; it still takes the global `sequence`
-- under that lock and still writes `ce_sequence` itself. A number above the counter (nobody
-- raised it) is ignored and the row is numbered as before, as is every row that comes without a
-- number (the API's single-row inserts). Duplicates are refused by outbox_aggregate_sequence_idx.
CREATE OR REPLACE FUNCTION outbox_sequence_under_order_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  IF NEW.aggregateid !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
    NEW.aggregate_sequence := NULL;
    NEW.ce_sequence := NULL;
    RETURN NEW;
  END IF;
  IF NEW.aggregate_sequence IS NOT NULL THEN
    SELECT event_sequence INTO n FROM orders WHERE id = NEW.aggregateid::uuid FOR NO KEY UPDATE;
    IF FOUND AND NEW.aggregate_sequence BETWEEN 1 AND n THEN
      NEW.sequence := nextval(pg_get_serial_sequence('outbox', 'sequence'));
      NEW.ce_sequence := lpad(NEW.aggregate_sequence::text, 10, '0');
      RETURN NEW;
    END IF;
  END IF;
  NEW.aggregate_sequence := NULL;
  NEW.ce_sequence := NULL;
  UPDATE orders SET event_sequence = event_sequence + 1 WHERE id = NEW.aggregateid::uuid
    RETURNING event_sequence INTO n;
  IF FOUND THEN
    NEW.sequence := nextval(pg_get_serial_sequence('outbox', 'sequence'));
    NEW.aggregate_sequence := n;
    NEW.ce_sequence := lpad(n::text, 10, '0');
  END IF;
  RETURN NEW;
END $$;
