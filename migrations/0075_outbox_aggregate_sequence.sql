-- A per-order event sequence on the wire (issue 15; docs/relay.md "Per-order sequence"): every
-- outbox row of an order gets 1, 2, 3 … for that order, contiguous and gap-free, published as the
-- CloudEvents `sequence` extension attribute (header `ce_sequence`) by the relay and by Debezium.
--
-- Where the number comes from: a counter on the order row (`orders.event_sequence`), incremented
-- by 0040's trigger instead of its bare lock. The UPDATE takes the same FOR NO KEY UPDATE lock the
-- trigger took before, so nothing about who waits for whom changes; it is the lock that makes the
-- counter safe: two writers of one order serialise on it, and a transaction that rolls back rolls
-- its increment back with it, so the next writer reuses the number (a global identity or a
-- sequence object would leave the hole). Not max+1 over the order's outbox rows: retention deletes
-- published rows, after which max+1 would start an order again at 1.
--
-- Two columns, like the other ce_* columns: `aggregate_sequence` is the number (for SQL: gap checks,
-- operators), `ce_sequence` the exact header text — zero-padded to 10 digits so that it sorts as a
-- string, as the extension requires. Debezium places `ce_sequence` verbatim; no SMT formats it.
-- 10 digits hold 9 999 999 999 events per order; the counter's CHECK refuses the one after that
-- (the write fails) instead of emitting an 11-digit value that would sort before its predecessors.
-- Rows whose aggregate is not an existing order (tests, benchmarks) get neither, as in 0040, and
-- their records carry no `ce_sequence` header.
ALTER TABLE orders
  ADD COLUMN event_sequence bigint NOT NULL DEFAULT 0
    CONSTRAINT orders_event_sequence_range CHECK (event_sequence BETWEEN 0 AND 9999999999);

ALTER TABLE outbox
  ADD COLUMN aggregate_sequence bigint,
  ADD COLUMN ce_sequence text,
  ADD CONSTRAINT outbox_ce_sequence_matches CHECK (
    (aggregate_sequence IS NULL AND ce_sequence IS NULL)
    OR (aggregate_sequence BETWEEN 1 AND 9999999999 AND ce_sequence = lpad(aggregate_sequence::text, 10, '0')));

-- Existing rows of existing orders, numbered in their per-order `sequence` order, and each order's
-- counter set to its last number, so the next event continues from there. (Rows retention already
-- deleted are gone; an order's numbering starts at its oldest retained row — consumers have seen
-- no sequence before this migration.)
WITH numbered AS (
  SELECT o.sequence, row_number() OVER (PARTITION BY o.aggregateid ORDER BY o.sequence) AS n
    FROM outbox o JOIN orders ord ON ord.id::text = o.aggregateid
), stamped AS (
  UPDATE outbox o SET aggregate_sequence = numbered.n, ce_sequence = lpad(numbered.n::text, 10, '0')
    FROM numbered WHERE o.sequence = numbered.sequence
  RETURNING o.aggregateid, o.aggregate_sequence
)
UPDATE orders SET event_sequence = last.n
  FROM (SELECT aggregateid, max(aggregate_sequence) AS n FROM stamped GROUP BY aggregateid) last
 WHERE orders.id::text = last.aggregateid;

-- One number per event of an order, enforced (a duplicate would be the one thing a consumer's
-- gap/duplicate check could not tell apart from a re-delivery). Also what an operator's
-- "rows of order X in order" query walks.
CREATE UNIQUE INDEX outbox_aggregate_sequence_idx ON outbox (aggregateid, aggregate_sequence)
  WHERE aggregate_sequence IS NOT NULL;

-- 0040's trigger, now also numbering the row. The counter's UPDATE is the lock 0040 took with
-- `SELECT … FOR NO KEY UPDATE` (same lock mode: event_sequence is no key column). The trigger
-- owns both columns: values a writer supplies are overwritten (or cleared for non-orders).
CREATE OR REPLACE FUNCTION outbox_sequence_under_order_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  NEW.aggregate_sequence := NULL;
  NEW.ce_sequence := NULL;
  IF NEW.aggregateid ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
    UPDATE orders SET event_sequence = event_sequence + 1 WHERE id = NEW.aggregateid::uuid
      RETURNING event_sequence INTO n;
    IF FOUND THEN
      NEW.sequence := nextval(pg_get_serial_sequence('outbox', 'sequence'));
      NEW.aggregate_sequence := n;
      NEW.ce_sequence := lpad(n::text, 10, '0');
    END IF;
  END IF;
  RETURN NEW;
END $$;
