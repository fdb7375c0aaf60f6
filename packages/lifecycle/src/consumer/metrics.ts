import { prometheus } from "@orders/runtime";
import type { Registry } from "prom-client";

/** The consumer's Prometheus metrics (GET /metrics). */
export function consumerMetrics(registry: Registry) {
  const applied = new prometheus.Counter({
    name: "consumer_events_applied_total",
    help: "Events that changed an order (state, timeline, outbox, jobs), by event type",
    labelNames: ["type"],
    registers: [registry],
  });
  const skipped = new prometheus.Counter({
    name: "consumer_events_skipped_total",
    help: "Events the decision table skipped (recorded in the timeline), by reason",
    labelNames: ["reason"],
    registers: [registry],
  });
  const duplicates = new prometheus.Counter({
    name: "consumer_duplicates_skipped_total",
    help: "Records whose message id was already processed",
    registers: [registry],
  });
  const deadLettered = new prometheus.Counter({
    name: "consumer_dead_lettered_total",
    help: "Records sent to a dead-letter topic, by reason",
    labelNames: ["reason"],
    registers: [registry],
  });
  const retries = new prometheus.Counter({
    name: "consumer_transaction_retries_total",
    help: "Waits-then-retries of a chunk's work, by cause: database (transient: timeout, lock, conflict, connection loss), dead_letter (dead-letter topic unreachable), unexpected (unclassified error, not the record's fault)",
    labelNames: ["cause"],
    registers: [registry],
  });
  const waiting = new prometheus.Gauge({
    name: "consumer_waiting_chunks",
    help: "Chunks (one per partition) waiting out a failure right now: their partitions are paused",
    registers: [registry],
  });
  const lag = new prometheus.Gauge({
    name: "consumer_lag_records",
    help: "Records behind the high watermark after the last handled chunk",
    labelNames: ["topic", "partition"],
    registers: [registry],
  });
  const chunkSeconds = new prometheus.Histogram({
    name: "consumer_handler_seconds",
    help: "Time to handle one chunk of records (parse, one transaction, dead letters)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const chunkSize = new prometheus.Histogram({
    name: "consumer_chunk_records",
    help: "Records per handled chunk",
    buckets: [1, 5, 10, 25, 50, 100, 200, 500],
    registers: [registry],
  });
  // applied/s over a sliding 10 s window, for people reading /metrics without PromQL rate().
  const window: { at: number; n: number }[] = [];
  new prometheus.Gauge({
    name: "consumer_applied_per_second",
    help: "Applied events per second over the last 10 s",
    registers: [registry],
    collect() {
      const cutoff = Date.now() - 10_000;
      while (window.length > 0 && (window[0]?.at ?? 0) < cutoff) window.shift();
      this.set(window.reduce((s, w) => s + w.n, 0) / 10);
    },
  });
  return {
    applied,
    skipped,
    duplicates,
    deadLettered,
    retries,
    waiting,
    lag,
    chunkSeconds,
    chunkSize,
    noteApplied(n: number) {
      if (n > 0) window.push({ at: Date.now(), n });
    },
  };
}

export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;
