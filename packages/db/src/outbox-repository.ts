import type pg from "pg";
import type { Queryable } from "./pool.ts";
import { run } from "./run.ts";
import * as sql from "./sql/index.ts";

/** An outbox row as the relay publishes it (header values verbatim from the columns). */
export interface OutboxRecordRow {
  readonly id: string;
  readonly aggregateId: string;
  readonly type: string;
  /** `payload::text`, the exact record value. */
  readonly payload: string;
  readonly specVersion: string;
  readonly source: string;
  readonly time: string;
  readonly contentType: string;
  readonly traceparent: string | null;
  /** bigint as a decimal string. */
  readonly sequence: string;
  readonly attempts: number;
  readonly createdAt: Date;
}

/** See `sql.claimOutboxBatch`: `client` must be in a transaction that lasts until the rows are marked. */
export async function claimOutboxBatch(client: pg.PoolClient, limit: number): Promise<OutboxRecordRow[]> {
  const { rows } = await run(client, sql.claimOutboxBatch(limit));
  return rows as OutboxRecordRow[];
}

export async function markOutboxPublished(client: Queryable, sequences: readonly string[]): Promise<number> {
  if (sequences.length === 0) return 0;
  const { rowCount } = await run(client, sql.markOutboxPublished(sequences));
  return rowCount ?? 0;
}

/** Returns the sequences that are now parked. */
export async function recordOutboxFailure(
  client: Queryable,
  sequences: readonly string[],
  error: string,
  options: { park: boolean; maxAttempts: number },
): Promise<string[]> {
  if (sequences.length === 0) return [];
  const { rows } = await run(client, sql.recordOutboxFailure(sequences, error, options.park, options.maxAttempts));
  return (rows as { sequence: string; parked: boolean }[]).filter((r) => r.parked).map((r) => r.sequence);
}

export interface OutboxStatus {
  readonly backlog: number;
  readonly parked: number;
  readonly retrying: number;
  /** Unpublished rows held back by a parked earlier row of their order (until `relay retry-failed`). */
  readonly behindParked: number;
  readonly oldestAgeSeconds: number | null;
  readonly oldestSequence: string | null;
  readonly types: readonly { type: string; unpublished: number; parked: number; published: number }[];
  readonly recent: { published: number; p50Seconds: number | null; p99Seconds: number | null; lastPublishedAt: Date | null };
}

export async function getOutboxStatus(db: Queryable, lagWindowSeconds = 60): Promise<OutboxStatus> {
  const [status, types, lag] = await Promise.all([
    run(db, sql.selectOutboxStatus()),
    run(db, sql.selectOutboxTypeCounts()),
    run(db, sql.selectRecentPublishLag(lagWindowSeconds)),
  ]);
  const s = status.rows[0];
  const l = lag.rows[0];
  return {
    backlog: Number(s.backlog),
    parked: Number(s.parked),
    retrying: Number(s.retrying),
    behindParked: Number(s.behindParked),
    oldestAgeSeconds: s.oldestAgeSeconds ?? null,
    oldestSequence: s.oldestSequence ?? null,
    types: types.rows.map((t) => ({
      type: t.type,
      unpublished: Number(t.unpublished),
      parked: Number(t.parked),
      published: Number(t.published),
    })),
    recent: {
      published: Number(l.published),
      p50Seconds: l.p50 ?? null,
      p99Seconds: l.p99 ?? null,
      lastPublishedAt: l.lastPublishedAt ?? null,
    },
  };
}

export interface ParkedRow {
  readonly id: string;
  readonly aggregateId: string;
  readonly type: string;
  readonly sequence: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly parkedAt: Date;
  readonly createdAt: Date;
}

export async function listParkedRows(db: Queryable, limit = 50): Promise<ParkedRow[]> {
  const { rows } = await run(db, sql.selectParkedRows(limit));
  return rows as ParkedRow[];
}

/** Un-parks rows (all or one aggregate's) so the relay tries them again; returns how many. */
export async function unparkOutboxRows(db: Queryable, aggregateId: string | null = null): Promise<number> {
  const { rowCount } = await run(db, sql.unparkOutboxRows(aggregateId));
  return rowCount ?? 0;
}

export async function outboxSequenceBounds(db: Queryable): Promise<{ min: string; max: string }> {
  const { rows } = await run(db, sql.selectSequenceBounds());
  return rows[0] as { min: string; max: string };
}

export async function countReplayRows(db: Queryable, filter: sql.ReplayFilter): Promise<number> {
  const { rows } = await run(db, sql.countReplayRows(filter));
  return Number(rows[0].count);
}

export async function replayPage(
  db: Queryable,
  filter: sql.ReplayFilter,
  afterSequence: string,
  limit: number,
): Promise<OutboxRecordRow[]> {
  const { rows } = await run(db, sql.selectReplayPage(filter, afterSequence, limit));
  return rows as OutboxRecordRow[];
}

/** Deletes published rows older than the retention age in chunks; returns how many went. */
export async function deletePublishedOutboxRows(
  db: Queryable,
  olderThanSeconds: number,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5_000;
  const maxBatches = options.maxBatches ?? 100;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const { rowCount } = await run(db, sql.deletePublishedOutboxRows(olderThanSeconds, batchSize));
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) break;
  }
  return total;
}

export async function outboxHasPending(db: Queryable): Promise<boolean> {
  const { rows } = await run(db, sql.selectOutboxHasPending());
  return rows[0].pending === true;
}

/**
 * Refreshes the planner's statistics of `outbox` when a backlog has built up since they were
 * taken (see `sql.selectOutboxStatsAge`). Returns whether it ran ANALYZE. Needs the table's
 * owner or the MAINTAIN privilege; the caller decides what a refusal means.
 */
export async function analyzeOutboxIfStale(
  db: Queryable,
  backlog: number,
  options: { minBacklog: number; minAgeSeconds: number },
): Promise<boolean> {
  if (backlog < options.minBacklog) return false;
  const { rows } = await run(db, sql.selectOutboxStatsAge());
  const row = rows[0] as { ageSeconds: number | null; modifiedSince: string } | undefined;
  if (!row) return false;
  const stale = row.ageSeconds === null || row.ageSeconds >= options.minAgeSeconds;
  // Statistics taken with (at least) this backlog already present are fine.
  if (!stale || Number(row.modifiedSince) < options.minBacklog) return false;
  await run(db, sql.analyzeOutbox());
  return true;
}

/** Asks writers to NOTIFY on their next outbox insert (an idle relay, before it sleeps; `sql.armOutboxWakeup`). */
export async function armOutboxWakeup(db: Queryable): Promise<void> {
  await run(db, sql.armOutboxWakeup());
}

/** Writers stop notifying (a relay woke up or has work again). */
export async function disarmOutboxWakeup(db: Queryable): Promise<void> {
  await run(db, sql.disarmOutboxWakeup());
}

/** Wakes every listening relay at once rather than at its next sweep. */
export async function notifyOutboxInserted(db: Queryable): Promise<void> {
  await run(db, sql.notifyOutboxInserted());
}
