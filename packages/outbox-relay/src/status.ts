import { getOutboxStatus, listParkedRows, type OutboxStatus, type ParkedRow } from "@orders/db";
import type pg from "pg";
import type { RelayMetrics } from "./metrics.ts";

export interface RelayStatus extends OutboxStatus {
  readonly parkedRows: readonly ParkedRow[];
}

export async function relayStatus(pool: pg.Pool, options: { parkedLimit?: number; lagWindowSeconds?: number } = {}): Promise<RelayStatus> {
  const [status, parkedRows] = await Promise.all([
    getOutboxStatus(pool, options.lagWindowSeconds ?? 60),
    listParkedRows(pool, options.parkedLimit ?? 20),
  ]);
  return { ...status, parkedRows };
}

/** Refreshes the backlog gauges of /metrics from the database. */
export async function refreshGauges(pool: pg.Pool, metrics: RelayMetrics): Promise<OutboxStatus> {
  const status = await getOutboxStatus(pool, 60);
  metrics.backlog.set(status.backlog);
  metrics.parkedRows.set(status.parked);
  metrics.oldestUnpublishedAge.set(status.oldestAgeSeconds ?? 0);
  return status;
}
