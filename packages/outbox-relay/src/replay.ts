import { countReplayRows, outboxSequenceBounds, replayPage, type sql } from "@orders/db";
import type { RecordSender } from "@orders/kafka";
import { buildCallPolicy } from "@orders/runtime";
import type pg from "pg";
import type { RelayMetrics } from "./metrics.ts";
import { createPublisher, type Publisher } from "./publisher.ts";

/**
 * `--from` / `--to`: a whole number is an outbox sequence (inclusive), anything else an
 * ISO-8601 time compared with `created_at` (`from` inclusive, `to` exclusive).
 */
export interface ReplayRequest {
  readonly from?: string;
  readonly to?: string;
  readonly aggregateId?: string;
  readonly type?: string;
  /** Also rows never marked published (OUTBOX_MODE=debezium, where nothing marks them). */
  readonly includeUnpublished?: boolean;
  /** Rows per Kafka send; default 500. */
  readonly batchSize?: number;
}

export interface ReplayProgress {
  readonly done: number;
  readonly total: number;
  readonly lastSequence: string;
}

const isSequence = (s: string) => /^\d+$/.test(s);

function parseTime(value: string, flag: string): Date {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new Error(`${flag} must be an outbox sequence number or an ISO-8601 time, got "${value}"`);
  return t;
}

export async function resolveReplayFilter(pool: pg.Pool, request: ReplayRequest): Promise<sql.ReplayFilter> {
  const bounds = await outboxSequenceBounds(pool);
  const from = request.from;
  const to = request.to;
  return {
    fromSequence: from && isSequence(from) ? from : bounds.min,
    toSequence: to && isSequence(to) ? to : bounds.max,
    fromTime: from && !isSequence(from) ? parseTime(from, "--from") : null,
    toTime: to && !isSequence(to) ? parseTime(to, "--to") : null,
    aggregateId: request.aggregateId ?? null,
    type: request.type ?? null,
    includeUnpublished: request.includeUnpublished ?? false,
  };
}

/**
 * Re-publishes already-published rows in sequence order (per aggregate order holds: each page
 * goes out in one ordered send before the next is read). Unpublished rows are the relay's
 * business and are not touched; consumers de-duplicate by `ce_id`.
 */
export async function replay(
  pool: pg.Pool,
  publisher: Publisher,
  request: ReplayRequest,
  options: { onProgress?: (p: ReplayProgress) => void; signal?: AbortSignal; metrics?: RelayMetrics } = {},
): Promise<ReplayProgress> {
  const filter = await resolveReplayFilter(pool, request);
  const total = await countReplayRows(pool, filter);
  const pageSize = request.batchSize ?? 500;
  let after = (BigInt(filter.fromSequence) - 1n).toString();
  let done = 0;
  options.onProgress?.({ done, total, lastSequence: after });
  while (!options.signal?.aborted) {
    const rows = await replayPage(pool, filter, after, pageSize);
    if (rows.length === 0) break;
    await publisher.publish(rows);
    done += rows.length;
    after = rows.at(-1)?.sequence ?? after;
    options.metrics?.replayed.inc(rows.length);
    options.onProgress?.({ done, total: Math.max(total, done), lastSequence: after });
    if (rows.length < pageSize) break;
  }
  return { done, total: Math.max(total, done), lastSequence: after };
}

/**
 * The publisher an operator's replay sends through (the relay's and the projector's CLI): 30 s
 * per send, 3 retries from 200 ms up to 5 s, a breaker after 5 failures that half-opens after 5 s.
 */
export function replayPublisher(sender: RecordSender, topic: string): Publisher {
  const { policy, breaker } = buildCallPolicy({
    timeoutMs: 30_000,
    retries: 3,
    initialDelayMs: 200,
    maxDelayMs: 5_000,
    breakerThreshold: 5,
    halfOpenAfterMs: 5_000,
  });
  return createPublisher({ sender, topic, policy, breaker, halfOpenAfterMs: 5_000 });
}
