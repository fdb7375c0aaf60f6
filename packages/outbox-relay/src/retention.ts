import * as db from "@orders/db";
import type pg from "pg";

export interface RetentionResult {
  readonly outboxRows: number;
  /** Expired idempotency keys removed, when @orders/db provides the clean-up. */
  readonly idempotencyKeys: number | null;
}

/**
 * Deletes published outbox rows older than `retentionSeconds` (the outbox must not grow
 * without bound) and expired idempotency keys. Unpublished and parked rows are never deleted.
 */
export async function runRetention(
  pool: pg.Pool,
  retentionSeconds: number,
  options: { batchSize?: number } = {},
): Promise<RetentionResult> {
  const outboxRows = await db.deletePublishedOutboxRows(pool, retentionSeconds, { batchSize: options.batchSize ?? 5_000 });
  const cleanKeys = (db as { deleteExpiredIdempotencyKeys?: (q: pg.Pool) => Promise<number> }).deleteExpiredIdempotencyKeys;
  const idempotencyKeys = cleanKeys ? await cleanKeys(pool) : null;
  return { outboxRows, idempotencyKeys };
}
