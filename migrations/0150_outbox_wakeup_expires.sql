-- Issue 17 follow-up: 0120's wake-up flag stayed armed for good once the last relay stopped while
-- idle (a switch to Debezium mode, or every relay gone), and from then on every writer's commit
-- carried a NOTIFY with nobody to wake — the database-wide commit lock 0120 exists to avoid
-- (0.56× create-order throughput at 32 clients, durable). Now the flag counts only while it is
-- fresh: a sleeping relay renews it on every sweep (the arm statement rewrites it at most once a
-- minute), and a flag nobody renewed for 10 minutes is read as "not armed". A relay whose sweep
-- interval exceeds 10 minutes is woken by its sweep alone, which is what that setting asks for.
CREATE OR REPLACE FUNCTION outbox_wake_idle_relays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM outbox_relay_wakeup WHERE armed AND armed_at > now() - interval '10 minutes') THEN
    PERFORM pg_notify('outbox_inserted', '');
  END IF;
  RETURN NULL;
END $$;
