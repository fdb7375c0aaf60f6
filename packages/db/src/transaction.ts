import type pg from "pg";
import { isRetriableDbError } from "./pg-errors.ts";

/**
 * The one transaction-retry policy (classifier: `isRetriableDbError` — 40001, 40P01, lock and
 * statement timeouts, connection loss). A saga job reruns its transaction in place at most this
 * many times, then pg-boss retries the job with backoff; the consumer's chunk handler waits out
 * transient errors without limit (a record must not be skipped); the API reruns nothing and
 * answers 503 + Retry-After. Only here and in the chunk handler is a transaction rerun.
 */
export const TRANSACTION_RETRIES = 3;

export interface TransactionOptions {
  readonly isolation?: "READ COMMITTED" | "REPEATABLE READ" | "SERIALIZABLE";
  /** Extra attempts on serialization failure / deadlock (the work must be safe to rerun). */
  readonly retries?: number;
}

/**
 * Runs `work` in one transaction on one pooled connection: COMMIT when it resolves,
 * ROLLBACK when it throws. A connection that failed mid-transaction is destroyed, not
 * returned to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(options.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation}` : "BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      if (attempt < retries && isRetriableDbError(error)) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
