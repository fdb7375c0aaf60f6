-- Parked rows by order: the relay's gauge refresh (every RELAY_GAUGE_INTERVAL_MS, 5 s, on every
-- relay) counts the rows held back behind a parked row of their order (selectOutboxStatus,
-- "behindParked"). Without an index on parked rows PostgreSQL found them by a sequential scan
-- of the whole outbox — a day of published rows in production (RELAY_RETENTION_SECONDS) — every
-- 5 s; during a 200 000-row drain the status statement was ~10 % of PostgreSQL's time
-- (docs/benchmarks.md "Relay drain, stop 12"). Parked rows are rare: the index stays tiny, and a
-- row that is not parked is never in it (no cost to the writers or to the relay's mark).
CREATE INDEX outbox_parked_idx ON outbox (aggregateid, sequence) WHERE parked_at IS NOT NULL AND published_at IS NULL;
