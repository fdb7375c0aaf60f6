import * as db from "@orders/db";
import type pg from "pg";

export interface RetentionResult {
  readonly outboxRows: number;
}

/**
 * Deletes published outbox rows older than `retentionSeconds` (the outbox must not grow
 * without bound). Unpublished and parked rows are never deleted. Expired idempotency keys are
 * the API's chore (its periodic sweep, IDEMPOTENCY_CLEANUP_INTERVAL_MS), not the relay's: one
 * owner per table (docs/decisions.md).
 */
export async function runRetention(
  pool: pg.Pool,
  retentionSeconds: number,
  options: { batchSize?: number } = {},
): Promise<RetentionResult> {
  const outboxRows = await db.deletePublishedOutboxRows(pool, retentionSeconds, { batchSize: options.batchSize ?? 5_000 });
  return { outboxRows };
}
