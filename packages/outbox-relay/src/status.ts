import { analyzeOutboxIfStale, getOutboxStatus, listParkedRows, type OutboxStatus, type ParkedRow, run, sql } from "@orders/db";
import type { Logger } from "@orders/runtime";
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

/** What the gauges show. */
export interface OutboxGauges {
  readonly backlog: number;
  readonly parked: number;
  readonly oldestAgeSeconds: number | null;
}

/**
 * Refreshes the backlog gauges of /metrics from the database: one statement over the unpublished
 * rows. Not `getOutboxStatus`: its per-type counts read every row of the table (a day of published
 * rows in production) and its publish-lag percentile every row of the last minute, and this runs
 * every RELAY_GAUGE_INTERVAL_MS on every relay, through a drain too — during a 200 000-row drain
 * those two were ~25 % of PostgreSQL's CPU (docs/benchmarks.md "Relay drain, stop 12"). They
 * serve `relay status` and the minute snapshot job.
 */
export async function refreshGauges(pool: pg.Pool, metrics: RelayMetrics): Promise<OutboxGauges> {
  const row = (await run(pool, sql.selectOutboxStatus())).rows[0];
  const gauges: OutboxGauges = {
    backlog: Number(row.backlog),
    parked: Number(row.parked),
    oldestAgeSeconds: row.oldestAgeSeconds ?? null,
  };
  metrics.backlog.set(gauges.backlog);
  metrics.parkedRows.set(gauges.parked);
  metrics.oldestUnpublishedAge.set(gauges.oldestAgeSeconds ?? 0);
  return gauges;
}

/**
 * Keeps the claim's query plan fit for a backlog: when at least `minBacklog` rows wait and the
 * planner's statistics of `outbox` predate them (older than `minAgeSeconds`), run ANALYZE.
 * Called with each gauge refresh (every few seconds, breaker open or not, so a backlog built up
 * during a Kafka outage is measured before the drain resumes) and once at start. Autovacuum
 * would get there too, but only after 10 % of the table changed — on a table holding a day of
 * published rows, possibly never during the backlog. Without the right to ANALYZE (not the
 * owner, no MAINTAIN privilege) it warns once and stops trying.
 */
export function outboxStatsKeeper(
  pool: pg.Pool,
  logger: Logger,
  options: { minBacklog?: number; minAgeSeconds?: number } = {},
): (backlog: number) => Promise<void> {
  const settings = { minBacklog: options.minBacklog ?? 2_000, minAgeSeconds: options.minAgeSeconds ?? 60 };
  let refused = false;
  let running = false;
  return async (backlog) => {
    if (refused || running) return;
    running = true;
    try {
      const started = performance.now();
      if (await analyzeOutboxIfStale(pool, backlog, settings)) {
        logger.info("refreshed the planner's outbox statistics for the backlog", {
          backlog,
          ms: Math.round(performance.now() - started),
        });
      }
    } catch (error) {
      if ((error as { code?: string }).code === "42501") {
        refused = true;
        logger.warn("cannot ANALYZE outbox (needs owner or MAINTAIN); a backlog may drain slowly until autovacuum analyzes it", {
          err: error,
        });
      } else {
        logger.warn("outbox statistics check failed", { err: error });
      }
    } finally {
      running = false;
    }
  };
}
