-- OUTBOX_MODE=debezium (docs/debezium.md): Debezium's heartbeat.action.query inserts a row here
-- every heartbeat.interval.ms (and deletes the older ones in the same statement). The table is
-- in the connector's publication, so even when no outbox row is written the connector receives
-- a change, commits its offset and the replication slot's confirmed_flush_lsn moves on: an idle
-- outbox never pins WAL. It must be an INSERT: the publication publishes inserts only
-- (skipped.operations=u,d,t). The change events are dropped by the connector's Filter
-- transform and never reach Kafka.
CREATE TABLE debezium_heartbeat (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  beat_at timestamptz NOT NULL DEFAULT now()
);
