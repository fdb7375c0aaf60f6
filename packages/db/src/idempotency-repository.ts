import type { Queryable } from "./pool.ts";
import { run } from "./run.ts";
import * as idem from "./sql/idempotency.ts";

export interface StoredIdempotencyKey {
  readonly state: "IN_FLIGHT" | "COMPLETED";
  readonly fingerprint: string;
  readonly responseStatus: number | null;
  readonly responseHeaders: Record<string, string> | null;
  readonly responseBody: string | null;
  readonly orderId: string | null;
  /** 0 when the lease has run out (or the key is COMPLETED). */
  readonly leaseRemainingMs: number;
}

export type ClaimOutcome = { readonly claimed: true } | { readonly claimed: false; readonly existing: StoredIdempotencyKey | null };

/** Autocommit (one statement): the claim is visible to every other request at once. */
export async function claimIdempotencyKey(db: Queryable, args: idem.ClaimKeyArgs): Promise<ClaimOutcome> {
  const { rowCount } = await run(db, idem.claimIdempotencyKey(args));
  if (rowCount === 1) return { claimed: true };
  const { rows } = await run(db, idem.selectIdempotencyKey(args.userId, args.key));
  return { claimed: false, existing: (rows[0] as StoredIdempotencyKey | undefined) ?? null };
}

/** Inside the transaction that wrote the order: true when the lease was still ours. */
export async function completeIdempotencyKey(db: Queryable, args: idem.CompleteKeyArgs): Promise<boolean> {
  const { rowCount } = await run(db, idem.completeIdempotencyKey(args));
  return rowCount === 1;
}

export async function releaseIdempotencyKey(db: Queryable, userId: string, key: string, leaseToken: string): Promise<void> {
  await run(db, idem.releaseIdempotencyKey(userId, key, leaseToken));
}

/**
 * Deletes expired keys in batches until none is left (or `maxBatches` ran); returns how many.
 * Run periodically by the API (and schedulable as a pg-boss job).
 */
export async function deleteExpiredIdempotencyKeys(
  db: Queryable,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 1_000;
  let total = 0;
  for (let i = 0; i < (options.maxBatches ?? 100); i++) {
    const { rowCount } = await run(db, idem.deleteExpiredIdempotencyKeys(batchSize));
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) break;
  }
  return total;
}
