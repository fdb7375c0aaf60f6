import type { Query } from "./query.ts";

export interface OutboxEventRow {
  readonly id: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly type: string;
  /** Serialised once by the caller; stored as jsonb. */
  readonly payload: unknown;
  readonly source: string;
  /** RFC 3339 string, exactly what goes into the ce_time header. */
  readonly time: string;
  readonly traceparent?: string | null;
}

export const insertOutboxEvent = (e: OutboxEventRow): Query => ({
  name: "outbox.insert",
  text: `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, traceparent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  values: [e.id, e.aggregateType, e.aggregateId, e.type, JSON.stringify(e.payload), e.source, e.time, e.traceparent ?? null],
});
