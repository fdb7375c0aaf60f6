-- API rate limits (issue 12, docs/api.md "Rate limits"): the counters every API instance shares,
-- kept by rate-limiter-flexible's PostgreSQL store (its own upsert: key, points, expire in epoch
-- ms). Created here rather than by the library at start-up (tableCreated: true), so the API's
-- role needs no DDL rights. UNLOGGED: counters are worth a fixed window at most; a crash that
-- empties them merely starts every window afresh, and they cost no WAL (nor a replica's time).
CREATE UNLOGGED TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);

-- The library's hourly clean-up deletes WHERE expire < now - 1 h.
CREATE INDEX rate_limits_expire_idx ON rate_limits (expire);
