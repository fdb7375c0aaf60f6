import type { Pool } from "@orders/db";
import { projectEvents, type ReadModelEventRow } from "@orders/db/read-model";
import { CE_HEADERS, type ChunkHandler, type ConsumedRecord, sequenceOf } from "@orders/kafka";
import { prometheus } from "@orders/runtime";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ProjectionMetrics {
  readonly events: prometheus.Counter<"outcome">;
  readonly lag: prometheus.Gauge<"topic" | "partition">;
  readonly lastEventAge: prometheus.Gauge;
  /** An event of this ce_time (ms) was projected (feeds projection_last_event_age_seconds). */
  seen(at: number): void;
}

export function projectionMetrics(registry: prometheus.Registry): ProjectionMetrics {
  let lastEventAt: number | null = null;
  const metrics = {
    events: new prometheus.Counter({
      name: "projection_events_total",
      help: "Records of orders by outcome: projected (new), duplicate (already held), ignored (no order key or sequence)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    lag: new prometheus.Gauge({
      name: "projection_lag_records",
      help: "Records of orders not yet projected, per partition (high watermark − next offset)",
      labelNames: ["topic", "partition"],
      registers: [registry],
    }),
    lastEventAge: new prometheus.Gauge({
      name: "projection_last_event_age_seconds",
      help: "Age (ce_time to now) of the newest event projected",
      registers: [registry],
      collect() {
        if (lastEventAt !== null) this.set((Date.now() - lastEventAt) / 1000);
      },
    }),
  };
  return Object.assign(metrics, {
    seen(at: number) {
      if (Number.isFinite(at) && (lastEventAt === null || at > lastEventAt)) lastEventAt = at;
    },
  });
}

/** A record of `orders` as a read-model event, or null when it is not an order's numbered event. */
export function toReadModelEvent(r: ConsumedRecord): ReadModelEventRow | null {
  const orderId = r.key?.toString("utf8") ?? r.headers[CE_HEADERS.subject];
  const sequence = sequenceOf(r.headers);
  const eventId = r.headers[CE_HEADERS.id];
  if (!orderId || !UUID.test(orderId) || sequence === undefined || !eventId || !UUID.test(eventId)) return null;
  const text = r.value?.toString("utf8") ?? "null";
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  const time = r.headers[CE_HEADERS.time];
  return {
    orderId: orderId.toLowerCase(),
    sequence,
    eventId,
    type: r.headers[CE_HEADERS.type] ?? "unknown",
    payload: text,
    occurredAt: time && !Number.isNaN(Date.parse(time)) ? time : new Date().toISOString(),
  };
}

/**
 * The projector's chunk handler: every numbered record of an order into the read model (one
 * transaction per chunk; idempotent by (order, ce_sequence), so a redelivery, a replay or a
 * rebuild changes nothing it already holds). Unknown types are stored like any other (they show in
 * the admin timeline); records that are not an order's numbered event are counted and skipped.
 */
export function projectionHandler(pool: Pool, metrics?: ProjectionMetrics): ChunkHandler {
  return async (records) => {
    const events: ReadModelEventRow[] = [];
    for (const r of records) {
      const e = toReadModelEvent(r);
      if (e) events.push(e);
      else metrics?.events.inc({ outcome: "ignored" });
    }
    const result = await projectEvents(pool, events);
    metrics?.events.inc({ outcome: "projected" }, result.inserted);
    metrics?.events.inc({ outcome: "duplicate" }, events.length - result.inserted);
    for (const e of events) metrics?.seen(Date.parse(e.occurredAt));
  };
}
