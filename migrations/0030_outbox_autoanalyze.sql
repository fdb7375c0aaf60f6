-- The relay's claim plan depends on the planner knowing how many rows are unpublished. With the
-- default thresholds autovacuum re-analyzes `outbox` only after 10 % of the table changed; a
-- table holding a day of published rows can carry a large backlog (after a Kafka outage) with
-- statistics that still say "nearly nothing unpublished", and the claim then scans the whole
-- backlog per row (docs/relay.md). Re-analyze after every 5 000 changed rows instead. The relay
-- also runs ANALYZE itself when it sees a backlog newer than the statistics.
ALTER TABLE outbox SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);
