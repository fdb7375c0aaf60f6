-- Relay (DESIGN §6). The claim checks, for every candidate row, whether an earlier row of the
-- same aggregate is still unpublished; this index holds only unpublished rows, so that check
-- (and the "anything pending?" poll) stays a short index probe however large the outbox grows.
CREATE INDEX outbox_unpublished_aggregate_idx ON outbox (aggregateid, sequence) WHERE published_at IS NULL;

-- A queue table: rows arrive, get published and are deleted by retention. Keep the planner's
-- statistics and the visibility map fresh so claims keep using the partial indexes.
ALTER TABLE outbox SET (
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.01,
  autovacuum_vacuum_insert_scale_factor = 0.02
);
