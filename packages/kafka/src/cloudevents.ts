import type { IHeaders } from "kafkajs";
import type { OutgoingRecord } from "./producer.ts";

/**
 * CloudEvents Kafka protocol binding, binary mode (DESIGN §5): attributes as `ce_*` headers,
 * the event data as the record value. Header names and the order they are written in.
 */
export const CE_HEADERS = {
  specversion: "ce_specversion",
  id: "ce_id",
  type: "ce_type",
  source: "ce_source",
  time: "ce_time",
  subject: "ce_subject",
  /** CloudEvents `sequence` extension: the per-order event number, zero-padded (docs/relay.md). */
  sequence: "ce_sequence",
  contentType: "content-type",
  traceparent: "traceparent",
} as const;

/**
 * One outbox row as the relay reads it. Every header value is a column value taken verbatim
 * (ce_specversion, id, type, ce_source, ce_time, aggregateid, ce_sequence, content_type,
 * traceparent), so
 * Debezium's outbox EventRouter, reading the same columns, produces identical records.
 */
export interface OutboxEventSource {
  readonly id: string;
  readonly aggregateId: string;
  readonly type: string;
  /** `payload::text`: the JSON exactly as PostgreSQL renders the stored jsonb. */
  readonly payload: string;
  readonly specVersion: string;
  readonly source: string;
  readonly time: string;
  /**
   * The per-order sequence as the row holds it (migration 0075: 10 digits, zero-padded); null or
   * absent for a row whose aggregate is not an order — then the record has no `ce_sequence`.
   */
  readonly ceSequence?: string | null;
  readonly contentType: string;
  readonly traceparent: string | null;
}

export function cloudEventHeaders(row: OutboxEventSource): Record<string, string> {
  const headers: Record<string, string> = {
    [CE_HEADERS.specversion]: row.specVersion,
    [CE_HEADERS.id]: row.id,
    [CE_HEADERS.type]: row.type,
    [CE_HEADERS.source]: row.source,
    [CE_HEADERS.time]: row.time,
    [CE_HEADERS.subject]: row.aggregateId,
  };
  // Same position as Debezium's placement list puts it (the parity test compares header order).
  if (row.ceSequence) headers[CE_HEADERS.sequence] = row.ceSequence;
  headers[CE_HEADERS.contentType] = row.contentType;
  if (row.traceparent) headers[CE_HEADERS.traceparent] = row.traceparent;
  return headers;
}

/** The Kafka record of an outbox row: key = aggregate (order) id, value = payload text. */
export const outboxRecord = (row: OutboxEventSource): OutgoingRecord => ({
  key: row.aggregateId,
  value: row.payload,
  headers: cloudEventHeaders(row),
});

/**
 * A service's result about one order as a CloudEvents binary-mode record (DESIGN §5): key and
 * `ce_subject` = the order id, value = `{ orderId, ...data }` as JSON. What the inventory,
 * payment and delivery services send; the simulators, tests and benchmarks build theirs here.
 */
export function orderResultRecord(
  source: string,
  type: string,
  id: string,
  orderId: string,
  data: Record<string, unknown> = {},
): OutgoingRecord {
  return {
    key: orderId,
    value: JSON.stringify({ orderId, ...data }),
    headers: {
      [CE_HEADERS.specversion]: "1.0",
      [CE_HEADERS.id]: id,
      [CE_HEADERS.type]: type,
      [CE_HEADERS.source]: source,
      [CE_HEADERS.time]: new Date().toISOString(),
      [CE_HEADERS.subject]: orderId,
      [CE_HEADERS.contentType]: "application/json",
    },
  };
}

/** A header as a UTF-8 string (the first value when repeated), or undefined. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined || first === null) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

/** Every header as a string (for logs, dead letters and tests). */
export function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const text = headerText(headers, name);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

const field = (value: unknown, name: string): string | undefined => {
  if (value === null || typeof value !== "object") return undefined;
  const f = (value as Record<string, unknown>)[name];
  return typeof f === "string" && f.length > 0 ? f : undefined;
};

/** Event type: the `ce_type` header, else a `type` field of the (parsed) value (DESIGN §5). */
export const eventTypeOf = (headers: IHeaders | undefined, value: unknown): string | undefined =>
  headerText(headers, CE_HEADERS.type) || field(value, "type");

/** Message id: the `ce_id` header, else an `id` field of the (parsed) value (DESIGN §5). */
export const eventIdOf = (headers: IHeaders | undefined, value: unknown): string | undefined =>
  headerText(headers, CE_HEADERS.id) || field(value, "id");
