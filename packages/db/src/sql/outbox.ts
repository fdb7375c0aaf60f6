import type { Query } from "./query.ts";

export interface OutboxEventRow {
  readonly id: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly type: string;
  /** Serialised once by the caller; stored as jsonb. */
  readonly payload: unknown;
  readonly source: string;
  /** RFC 3339 string, exactly what goes into the ce_time header. */
  readonly time: string;
  readonly traceparent?: string | null;
}

export const insertOutboxEvent = (e: OutboxEventRow): Query => ({
  name: "outbox.insert",
  text: `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  values: [e.id, e.aggregateType, e.aggregateId, e.type, JSON.stringify(e.payload), e.source, e.time, e.traceparent ?? null],
});

// ——— Relay (DESIGN §6): claim, publish bookkeeping, status, retry, replay, retention ———

/** What the relay reads of a row: every value that goes onto the Kafka record, verbatim. */
const RECORD_COLUMNS = `o.id, o.aggregateid AS "aggregateId", o.type, o.payload::text AS payload,
  o.ce_specversion AS "specVersion", o.ce_source AS source, o.ce_time AS time, o.ce_sequence AS "ceSequence",
  o.content_type AS "contentType", o.traceparent, o.sequence::text AS sequence,
  o.attempts, o.created_at AS "createdAt"`;

/**
 * Claims the next batch to publish and returns only rows that may go out now. Run inside a
 * transaction that stays open until Kafka acknowledged the batch and it was marked published.
 *
 * - No database-wide horizon: every writer of an order's outbox rows holds that order's row
 *   lock from before it takes a `sequence` until it commits (migration 0040 makes the database
 *   take the sequence under the lock), so one order's rows commit in sequence order. A row the
 *   claim cannot see yet therefore has a higher sequence than every committed row of its order
 *   (or never commits), and a committed row with no earlier unpublished row of its order is
 *   never overtaken by a late commit. An open transaction holds back only the orders it has
 *   locked, not the whole outbox (issue 10; docs/relay.md "Ordering").
 * - `FOR UPDATE SKIP LOCKED`: concurrent relays (and concurrent batches of one relay) take
 *   disjoint rows.
 * - A row is returned only if every earlier unpublished row of its aggregate is in this same
 *   batch; rows held by another batch and parked rows hold back the later rows of their
 *   aggregate (and only of their aggregate).
 *
 * How, and why so (EXPLAIN ANALYZE on 200 000 rows: docs/benchmarks.md):
 * 1. `walked`: lock up to `limit` rows that are the first unpublished row of their aggregate,
 *    walking unpublished rows in sequence order — but no further than the `2 × limit`-th
 *    (`bound`; issue 17 item 5: with fewer aggregates than `limit` the walk never found enough
 *    heads to stop and read the whole backlog, 250–550 ms per claim at 20 000 rows). The head
 *    test runs *before* the lock, so a row that has to wait for another batch is never locked —
 *    locking it would make every other batch skip it until this one commits (with several
 *    batches in flight that convoy cost 3× on interleaved orders).
 * 2. `aggs` / `skipped`: only when the walk stopped at its bound with room left in the batch,
 *    every aggregate's head by a loose index scan of `outbox_unpublished_aggregate_idx` (one
 *    probe per aggregate, at most `2 × limit` aggregates), locked the same way.
 * 3. `next_rows` / `followers`: fill the batch with the next rows of those aggregates (a backlog
 *    of one order goes out in one batch, in order): per head at most twice its share of the
 *    room left, read from the aggregate index (the row comparison keeps the planner off a
 *    filtered walk of the sequence index), then the oldest of them up to `limit`. Nobody else
 *    can hold these: their head is ours.
 * 4. The final check keeps a follower only if no unpublished row of its aggregate below it is
 *    missing from the batch (skipped as locked by another batch, or parked): one `LIMIT 1` probe
 *    of `outbox_unpublished_aggregate_idx` per aggregate, not a `NOT EXISTS` per row (which
 *    let the planner switch to a hash anti-join over the whole backlog at large batches).
 * Record columns are read while locking: no second fetch per row. Dropping the xmin filter
 * (issue 10) changed no plan — it was a per-row filter on the same index walk; a claim of 500
 * from 200 000 rows over 20 000 orders: median 5.5–7.3 ms without it, 6.0–9.2 ms with it.
 */
export const claimOutboxBatch = (limit: number): Query => ({
  name: "outbox.claim_batch_v6",
  text: `WITH RECURSIVE bound AS (
           SELECT coalesce((SELECT sequence FROM outbox WHERE published_at IS NULL ORDER BY sequence OFFSET $2 - 1 LIMIT 1),
                           9223372036854775807) AS seq
         ),
         walked AS MATERIALIZED (
           SELECT ${RECORD_COLUMNS}, o.aggregateid AS agg, o.sequence AS seq
             FROM outbox o
            WHERE o.published_at IS NULL AND o.parked_at IS NULL
              AND o.sequence <= (SELECT seq FROM bound)
              AND NOT EXISTS (SELECT 1 FROM outbox e
                               WHERE e.aggregateid = o.aggregateid AND e.sequence < o.sequence AND e.published_at IS NULL)
            ORDER BY o.sequence
            LIMIT $1
              FOR UPDATE OF o SKIP LOCKED
         ),
         aggs (agg, seq) AS (
           (SELECT aggregateid, sequence FROM outbox
             WHERE published_at IS NULL
               AND (SELECT seq FROM bound) < 9223372036854775807 AND (SELECT count(*) FROM walked) < $1
             ORDER BY aggregateid, sequence LIMIT 1)
           UNION ALL
           SELECT n.aggregateid, n.sequence FROM aggs a CROSS JOIN LATERAL (
                  SELECT aggregateid, sequence FROM outbox
                   WHERE published_at IS NULL AND aggregateid > a.agg
                   ORDER BY aggregateid, sequence LIMIT 1) n
         ),
         skipped AS MATERIALIZED (
           SELECT ${RECORD_COLUMNS}, o.aggregateid AS agg, o.sequence AS seq
             FROM outbox o
            WHERE o.sequence = ANY (ARRAY(SELECT seq FROM aggs LIMIT $3)) -- one probe each, not a merge walk
              AND o.published_at IS NULL AND o.parked_at IS NULL
              AND o.sequence NOT IN (SELECT seq FROM walked)
            ORDER BY o.sequence
            LIMIT (SELECT $1 - count(*) FROM walked)
              FOR UPDATE OF o SKIP LOCKED
         ),
         heads AS (SELECT * FROM walked UNION ALL SELECT * FROM skipped),
         next_rows AS (
           SELECT f.seq FROM heads h CROSS JOIN LATERAL (
                  SELECT e.sequence AS seq FROM outbox e
                   WHERE e.aggregateid = h.agg AND e.published_at IS NULL AND (e.aggregateid, e.sequence) > (h.agg, h.seq)
                   ORDER BY e.aggregateid, e.sequence
                   LIMIT (SELECT 2 * ceil(($1 - count(*))::numeric / greatest(count(*), 1))::int FROM heads)) f
         ),
         followers AS MATERIALIZED (
           SELECT ${RECORD_COLUMNS}, o.aggregateid AS agg, o.sequence AS seq
             FROM outbox o
            WHERE o.sequence = ANY (ARRAY(SELECT seq FROM next_rows))
              AND o.published_at IS NULL AND o.parked_at IS NULL
            ORDER BY o.sequence
            LIMIT (SELECT $1 - count(*) FROM heads)
              FOR UPDATE OF o SKIP LOCKED
         ),
         claimed AS (SELECT * FROM heads UNION ALL SELECT * FROM followers),
         blockers AS (
           SELECT a.agg, b.seq AS blocker
             FROM (SELECT agg, max(seq) AS last FROM followers GROUP BY agg) a
             CROSS JOIN LATERAL (
                   SELECT e.sequence AS seq FROM outbox e
                    WHERE e.aggregateid = a.agg AND e.published_at IS NULL AND (e.aggregateid, e.sequence) < (a.agg, a.last)
                      AND e.sequence NOT IN (SELECT seq FROM claimed)
                    ORDER BY e.aggregateid, e.sequence
                    LIMIT 1) b
         )
         SELECT c.id, c."aggregateId", c.type, c.payload, c."specVersion", c.source, c.time, c."ceSequence", c."contentType",
                c.traceparent, c.sequence, c.attempts, c."createdAt"
           FROM claimed c LEFT JOIN blockers b ON b.agg = c.agg
          WHERE b.blocker IS NULL OR c.seq < b.blocker
          ORDER BY c.seq`,
  values: [limit, 2 * limit, 2 * limit],
});

/** `clock_timestamp()`, not `now()`: the ack time, not the start of the claiming transaction. */
export const markOutboxPublished = (sequences: readonly string[]): Query => ({
  name: "outbox.mark_published",
  text: `UPDATE outbox SET published_at = clock_timestamp(), last_error = NULL
          WHERE sequence = ANY($1::bigint[]) AND published_at IS NULL`,
  values: [sequences],
});

/**
 * Records a failed send. `park` = the failure is the row's own (the broker refuses the record):
 * it counts one of `attempts`, and after `maxAttempts` such refusals the row is parked and waits
 * for an operator. Otherwise (broker unreachable, timeouts, leader moves: transient) only
 * `last_error` is written — an outage, however long, never spends a row's park budget.
 */
export const recordOutboxFailure = (sequences: readonly string[], error: string, park: boolean, maxAttempts: number): Query => ({
  name: "outbox.record_failure_v2",
  text: `UPDATE outbox SET attempts = attempts + CASE WHEN $3::boolean THEN 1 ELSE 0 END, last_error = left($2, 2000),
                parked_at = CASE WHEN $3::boolean AND attempts + 1 >= $4 THEN clock_timestamp() ELSE parked_at END
          WHERE sequence = ANY($1::bigint[]) AND published_at IS NULL
      RETURNING sequence::text AS sequence, parked_at IS NOT NULL AS parked`,
  values: [sequences, error, park, maxAttempts],
});

/**
 * Backlog, age of the oldest unpublished row, parked rows, and the rows that wait behind a
 * parked row of their order (the only committed rows the claim cannot take besides those of a
 * batch in flight: no horizon holds rows back, see claimOutboxBatch). Rows of transactions
 * still running are invisible here and to the relay alike; they are counted once committed.
 */
export const selectOutboxStatus = (): Query => ({
  text: `SELECT count(*) FILTER (WHERE parked_at IS NULL)::bigint::text AS backlog,
                count(*) FILTER (WHERE parked_at IS NOT NULL)::bigint::text AS parked,
                count(*) FILTER (WHERE attempts > 0 AND parked_at IS NULL)::bigint::text AS retrying,
                (SELECT count(*) FROM outbox o
                   JOIN (SELECT aggregateid, min(sequence) AS first FROM outbox
                          WHERE published_at IS NULL AND parked_at IS NOT NULL GROUP BY aggregateid) p
                     ON o.aggregateid = p.aggregateid AND o.sequence > p.first
                  WHERE o.published_at IS NULL AND o.parked_at IS NULL)::bigint::text AS "behindParked",
                extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS "oldestAgeSeconds",
                min(sequence)::text AS "oldestSequence"
           FROM outbox WHERE published_at IS NULL`,
  values: [],
});

export const selectOutboxTypeCounts = (): Query => ({
  text: `SELECT type, count(*) FILTER (WHERE published_at IS NULL AND parked_at IS NULL)::bigint::text AS unpublished,
                count(*) FILTER (WHERE parked_at IS NOT NULL)::bigint::text AS parked,
                count(*) FILTER (WHERE published_at IS NOT NULL)::bigint::text AS published
           FROM outbox GROUP BY type ORDER BY type`,
  values: [],
});

/** Publish lag of recently published rows: commit→ack as seen by the database clocks. */
export const selectRecentPublishLag = (windowSeconds: number): Query => ({
  text: `SELECT count(*)::bigint::text AS published,
                (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at)))::float8 AS p50,
                (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at)))::float8 AS p99,
                max(published_at) AS "lastPublishedAt"
           FROM outbox WHERE published_at > clock_timestamp() - make_interval(secs => $1)`,
  values: [windowSeconds],
});

export const selectParkedRows = (limit: number): Query => ({
  text: `SELECT id, aggregateid AS "aggregateId", type, sequence::text AS sequence, attempts, last_error AS "lastError",
                parked_at AS "parkedAt", created_at AS "createdAt"
           FROM outbox WHERE parked_at IS NOT NULL ORDER BY outbox.sequence LIMIT $1`,
  values: [limit],
});

/** Un-parks rows (all, or one aggregate's) and resets their attempt count. */
export const unparkOutboxRows = (aggregateId: string | null): Query => ({
  text: `UPDATE outbox SET parked_at = NULL, attempts = 0
          WHERE parked_at IS NOT NULL AND published_at IS NULL AND ($1::text IS NULL OR aggregateid = $1)
      RETURNING sequence::text AS sequence`,
  values: [aggregateId],
});

export interface ReplayFilter {
  /** Inclusive sequence bounds (resolved from timestamps by the caller when needed). */
  readonly fromSequence: string;
  readonly toSequence: string;
  readonly fromTime?: Date | null;
  readonly toTime?: Date | null;
  readonly aggregateId?: string | null;
  readonly type?: string | null;
  /**
   * Rows not marked published too. For OUTBOX_MODE=debezium, where Debezium never sets
   * `published_at` (docs/debezium.md): otherwise a replay there finds nothing (issue 15's rebuild).
   */
  readonly includeUnpublished?: boolean;
}

const REPLAY_WHERE = `($7::boolean OR published_at IS NOT NULL) AND sequence BETWEEN $1::bigint AND $2::bigint
  AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
  AND ($5::text IS NULL OR aggregateid = $5) AND ($6::text IS NULL OR type = $6)`;

const replayValues = (f: ReplayFilter) => [
  f.fromSequence,
  f.toSequence,
  f.fromTime ?? null,
  f.toTime ?? null,
  f.aggregateId ?? null,
  f.type ?? null,
  f.includeUnpublished ?? false,
];

export const countReplayRows = (f: ReplayFilter): Query => ({
  text: `SELECT count(*)::bigint::text AS count FROM outbox WHERE ${REPLAY_WHERE}`,
  values: replayValues(f),
});

/** One keyset page of already-published rows, in sequence order, after `afterSequence`. */
export const selectReplayPage = (f: ReplayFilter, afterSequence: string, limit: number): Query => ({
  text: `SELECT ${RECORD_COLUMNS} FROM outbox o
          WHERE ${REPLAY_WHERE} AND sequence > $8::bigint
          ORDER BY o.sequence LIMIT $9 -- o.: the output column "sequence" is text`,
  values: [...replayValues(f), afterSequence, limit],
});

/** Smallest and largest sequence (for open-ended replay ranges). */
export const selectSequenceBounds = (): Query => ({
  text: `SELECT coalesce(min(sequence), 0)::text AS min, coalesce(max(sequence), 0)::text AS max FROM outbox`,
  values: [],
});

/** Retention: at most `limit` published rows older than `olderThanSeconds`, oldest first. */
export const deletePublishedOutboxRows = (olderThanSeconds: number, limit: number): Query => ({
  name: "outbox.retention",
  text: `DELETE FROM outbox WHERE sequence IN (
           SELECT sequence FROM outbox
            WHERE published_at IS NOT NULL AND published_at < clock_timestamp() - make_interval(secs => $1)
            ORDER BY published_at LIMIT $2)`,
  values: [olderThanSeconds, limit],
});

/**
 * Are there unpublished rows that are not held back by a parked row? (The relay polls briefly
 * while this is true and a claim returned nothing: rows waiting for another batch in flight
 * become claimable when it commits, which sends no NOTIFY to other relays.)
 */
export const selectOutboxHasPending = (): Query => ({
  name: "outbox.has_pending",
  text: `SELECT EXISTS (
           SELECT 1 FROM outbox o
            WHERE o.published_at IS NULL AND o.parked_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.aggregateid = o.aggregateid AND p.sequence < o.sequence AND p.parked_at IS NOT NULL)
         ) AS pending`,
  values: [],
});

/**
 * How old the planner's statistics of `outbox` are. The claim's plan depends on them: with
 * statistics taken while nearly every row was published (the normal state — retention keeps
 * published rows for a day), a sudden backlog looks like a handful of rows, and PostgreSQL probes
 * "earlier unpublished row of this aggregate" by scanning every unpublished row instead of the
 * aggregate index: ~10 s per claim at a 50 000-row backlog instead of ~5 ms (docs/relay.md).
 */
export const selectOutboxStatsAge = (): Query => ({
  text: `SELECT extract(epoch FROM clock_timestamp() - greatest(last_analyze, last_autoanalyze))::float8 AS "ageSeconds",
                n_mod_since_analyze::bigint::text AS "modifiedSince"
           FROM pg_stat_user_tables WHERE relid = 'outbox'::regclass`,
  values: [],
});

export const analyzeOutbox = (): Query => ({ text: "ANALYZE outbox", values: [] });

/**
 * An idle relay asks to be woken (migration 0120): while the flag is armed, every outbox insert
 * statement NOTIFYs `outbox_inserted`; while it is down (some relay is polling), none does, so
 * writers' commits never queue on the NOTIFY lock under load. Upsert: the table is unlogged and
 * empty after a crash. Also the renewal a sleeping relay sends on every sweep: the trigger ignores a
 * flag older than 10 minutes (migration 0150: no relay left to renew it), so an armed flag is
 * rewritten once it is a minute old, and left alone before.
 */
export const armOutboxWakeup = (): Query => ({
  name: "outbox.arm_wakeup",
  text: `INSERT INTO outbox_relay_wakeup (singleton, armed, armed_at) VALUES (true, true, clock_timestamp())
         ON CONFLICT (singleton) DO UPDATE SET armed = true, armed_at = EXCLUDED.armed_at
          WHERE NOT outbox_relay_wakeup.armed OR outbox_relay_wakeup.armed_at < clock_timestamp() - interval '1 minute'`,
  values: [],
});

/** A relay woke up (or found work): writers stop notifying. A no-op write when already down. */
export const disarmOutboxWakeup = (): Query => ({
  name: "outbox.disarm_wakeup",
  text: "UPDATE outbox_relay_wakeup SET armed = false WHERE armed",
  values: [],
});

/** Wakes the relays now (the channel the outbox insert trigger notifies), e.g. after un-parking rows. */
export const notifyOutboxInserted = (): Query => ({ text: "SELECT pg_notify('outbox_inserted', '')", values: [] });
