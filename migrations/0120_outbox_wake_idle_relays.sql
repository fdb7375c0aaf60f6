-- Issue 17: the wake-up must not cost the write path. 0002's trigger sent a NOTIFY in every
-- transaction that inserted outbox rows. At commit a NOTIFY takes one database-wide lock and
-- holds it through the commit's WAL flush, so every create-order, cancel and consumer chunk
-- committed one after the other (bench/api: 0.4–0.5 of the throughput at 32 clients; see
-- docs/benchmarks.md). Now a relay that has work polls (short interval after a non-empty claim,
-- backing off while claims come back empty), and only a relay that has gone idle asks to be
-- woken: it *arms* this flag before it sleeps and disarms it when woken. Writers read the flag
-- (one buffer of a one-row table, no lock, no write) and NOTIFY only while it is armed — i.e. only
-- while every relay sleeps, when commits are few and the lock is free. Under load the relays
-- are never idle, the flag stays down, and no writer notifies (docs/relay.md "Wake-ups").
--
-- UNLOGGED: arming and disarming write no WAL and need no flush; after a crash the table is empty,
-- which reads as "not armed" (relays then find work by their sweep and re-arm when idle again).
-- Standbys never run writers, so they need no copy.
CREATE UNLOGGED TABLE outbox_relay_wakeup (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT outbox_relay_wakeup_one_row CHECK (singleton),
  armed     boolean NOT NULL DEFAULT false,
  armed_at  timestamptz
);

DROP TRIGGER outbox_notify_after_insert ON outbox;
DROP FUNCTION outbox_notify();

-- Same channel as before (relays LISTEN on it; `relay retry-failed` notifies it directly).
CREATE FUNCTION outbox_wake_idle_relays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM outbox_relay_wakeup WHERE armed) THEN
    PERFORM pg_notify('outbox_inserted', '');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_wake_idle_relays AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake_idle_relays();
