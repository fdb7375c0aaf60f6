import { claimOutboxBatch, markOutboxPublished, type OutboxRecordRow, recordOutboxFailure } from "@orders/db";
import { classifyPublishError } from "@orders/kafka";
import type { Logger } from "@orders/runtime";
import type pg from "pg";
import type { RelayMetrics } from "./metrics.ts";
import type { Publisher } from "./publisher.ts";

export interface DrainOptions {
  readonly pool: pg.Pool;
  readonly publisher: Publisher;
  readonly batchSize: number;
  /** Refusals of one row (by the broker, for the record itself) before it is parked. */
  readonly maxAttempts: number;
  readonly logger: Logger;
  readonly metrics?: RelayMetrics;
  /** Test hook: runs after Kafka acknowledged a batch and before it is marked published. */
  readonly afterAck?: (rows: readonly OutboxRecordRow[]) => Promise<void> | void;
}

export interface DrainResult {
  /** Rows handed to this instance (eligible and in order). */
  readonly claimed: number;
  readonly published: number;
  readonly failed: number;
  readonly parked: number;
  readonly error?: unknown;
}

const message = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * One batch: claim (rows locked in a transaction) → send with acks=all → mark published →
 * COMMIT. A crash anywhere before COMMIT leaves the rows unpublished and unlocked, so they go
 * out again (at least once); nothing is marked that Kafka did not acknowledge.
 */
export async function drainBatch(options: DrainOptions): Promise<DrainResult> {
  const { pool, batchSize, logger, metrics } = options;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    // The database is away (restart, failover, connect timeout): a failed round like any other,
    // retried with the loop's back-off — never a rejection that ends the process.
    logger.warn("relay batch not started: no database connection", { err: error });
    return { claimed: 0, published: 0, failed: 0, parked: 0, error };
  }
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const rows = await claimOutboxBatch(client, batchSize);
    if (rows.length === 0) {
      await client.query("COMMIT");
      return { claimed: 0, published: 0, failed: 0, parked: 0 };
    }
    const result = await publishClaimed(client, rows, options);
    await client.query("COMMIT");
    if (result.published > 0 && metrics) {
      const ackedAt = Date.now();
      metrics.published.inc(result.published);
      metrics.batchSize.observe(result.published);
      for (const row of rows.slice(0, result.published))
        metrics.publishLatency.observe(Math.max(0, ackedAt - row.createdAt.getTime()) / 1000);
    }
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((e: Error) => {
      broken = e;
    });
    logger.error("relay batch aborted (rows stay unpublished)", { err: error });
    return { claimed: 0, published: 0, failed: 0, parked: 0, error };
  } finally {
    client.release(broken);
  }
}

async function publishClaimed(client: pg.PoolClient, rows: readonly OutboxRecordRow[], options: DrainOptions): Promise<DrainResult> {
  const { publisher, logger, metrics } = options;
  const started = performance.now();
  try {
    await publisher.publish(rows);
    metrics?.sendDuration.observe((performance.now() - started) / 1000);
    await options.afterAck?.(rows);
    await markOutboxPublished(
      client,
      rows.map((r) => r.sequence),
    );
    return { claimed: rows.length, published: rows.length, failed: 0, parked: 0 };
  } catch (error) {
    const kind = classifyPublishError(error);
    metrics?.failures.inc({ kind });
    if (kind === "record") return isolate(client, rows, options);
    // The broker or the network: every row is fine, the attempt is recorded and retried later.
    await recordOutboxFailure(
      client,
      rows.map((r) => r.sequence),
      message(error),
      { park: false, maxAttempts: options.maxAttempts },
    );
    logger.warn("publish failed, will retry", { rows: rows.length, err: error });
    return { claimed: rows.length, published: 0, failed: rows.length, parked: 0, error };
  }
}

/**
 * The broker refused something in the batch for what it is: send row by row to find it.
 * A refused row counts an attempt (parked after `maxAttempts`) and holds back the later rows
 * of its own aggregate in this batch; every other aggregate goes on.
 */
async function isolate(client: pg.PoolClient, rows: readonly OutboxRecordRow[], options: DrainOptions): Promise<DrainResult> {
  const { publisher, logger, metrics } = options;
  const blocked = new Set<string>();
  const published: string[] = [];
  let parked = 0;
  let failed = 0;
  for (const [index, row] of rows.entries()) {
    if (blocked.has(row.aggregateId)) continue;
    try {
      await publisher.publish([row]);
      published.push(row.sequence);
    } catch (error) {
      failed++;
      blocked.add(row.aggregateId);
      if (classifyPublishError(error) === "transient") {
        // The broker went away meanwhile: stop here, the rest waits for the next round.
        const rest = rows.slice(index).map((r) => r.sequence);
        await recordOutboxFailure(client, rest, message(error), { park: false, maxAttempts: options.maxAttempts });
        break;
      }
      const nowParked = await recordOutboxFailure(client, [row.sequence], message(error), { park: true, maxAttempts: options.maxAttempts });
      parked += nowParked.length;
      if (nowParked.length > 0) metrics?.parked.inc(nowParked.length);
      logger.error(nowParked.length > 0 ? "outbox row parked" : "outbox row refused by the broker", {
        id: row.id,
        sequence: row.sequence,
        aggregateId: row.aggregateId,
        attempts: row.attempts + 1,
        err: error,
      });
    }
  }
  await options.afterAck?.(rows.filter((r) => published.includes(r.sequence)));
  await markOutboxPublished(client, published);
  return { claimed: rows.length, published: published.length, failed, parked };
}
