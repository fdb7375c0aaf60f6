import { prometheus } from "@orders/runtime";
import type { Registry } from "prom-client";

/** The relay's Prometheus metrics (DESIGN §6, issue 5): one set per process. */
export interface RelayMetrics {
  readonly published: prometheus.Counter;
  readonly batchSize: prometheus.Histogram;
  /** commit → ack, measured as ack time − the row's created_at (both on the database clock). */
  readonly publishLatency: prometheus.Histogram;
  readonly sendDuration: prometheus.Histogram;
  readonly failures: prometheus.Counter<"kind">;
  readonly parked: prometheus.Counter;
  readonly replayed: prometheus.Counter;
  readonly backlog: prometheus.Gauge;
  readonly oldestUnpublishedAge: prometheus.Gauge;
  readonly parkedRows: prometheus.Gauge;
}

export function createRelayMetrics(registry: Registry): RelayMetrics {
  const registers = [registry];
  return {
    published: new prometheus.Counter({ name: "relay_published_total", help: "Outbox rows published and acknowledged", registers }),
    batchSize: new prometheus.Histogram({
      name: "relay_batch_size",
      help: "Rows per published batch",
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
      registers,
    }),
    publishLatency: new prometheus.Histogram({
      name: "relay_publish_latency_seconds",
      help: "Outbox row commit (created_at) to Kafka acknowledgement",
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    sendDuration: new prometheus.Histogram({
      name: "relay_send_duration_seconds",
      help: "Kafka send of one batch, acks=all, including retries",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    }),
    failures: new prometheus.Counter({
      name: "relay_publish_failures_total",
      help: "Failed publish attempts (after the retry policy), by kind: transient or record",
      labelNames: ["kind"],
      registers,
    }),
    parked: new prometheus.Counter({ name: "relay_parked_total", help: "Rows parked after repeated refusals", registers }),
    replayed: new prometheus.Counter({ name: "relay_replayed_total", help: "Rows re-published by replay", registers }),
    backlog: new prometheus.Gauge({ name: "relay_backlog", help: "Unpublished, unparked outbox rows", registers }),
    oldestUnpublishedAge: new prometheus.Gauge({
      name: "relay_oldest_unpublished_age_seconds",
      help: "Age of the oldest unpublished outbox row (0 when none)",
      registers,
    }),
    parkedRows: new prometheus.Gauge({ name: "relay_parked_rows", help: "Parked outbox rows waiting for an operator", registers }),
  };
}
