import { CompressionTypes, type Message as KafkaMessage, Partitioners, type Producer } from "kafkajs";
import type { Kafka } from "./client.ts";

export type { Producer } from "kafkajs";

export interface OutgoingRecord {
  readonly key: string;
  /** Exact bytes of the value (for the relay: the outbox payload text as stored). */
  readonly value: string | Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RecordAck {
  readonly topic: string;
  readonly partition: number;
  /** Base offset of this partition's part of the send. */
  readonly baseOffset: string;
}

export interface IdempotentProducerOptions {
  /**
   * Requests in flight per broker connection; ≤ 5 keeps per-partition order with idempotence.
   * Default 1: the relay sends one batch at a time anyway.
   */
  readonly maxInFlightRequests?: number;
  /** Broker-side wait for all in-sync replicas; default 30 s. */
  readonly ackTimeoutMs?: number;
  readonly compression?: "none" | "gzip";
  /**
   * Retries of one send inside the client. Bounded on purpose (the client default for an
   * idempotent producer is unbounded) so a send fails in finite time and the caller's
   * retry/breaker policy decides what happens next.
   */
  readonly retries?: number;
}

/**
 * An idempotent producer: acks=all (-1), enable.idempotence, ≤ 5 in flight. A record it
 * reports as sent is on every in-sync replica; a retried send is de-duplicated by the broker.
 */
export function createIdempotentProducer(kafka: Kafka, options: IdempotentProducerOptions = {}): Producer {
  const maxInFlightRequests = options.maxInFlightRequests ?? 1;
  if (maxInFlightRequests < 1 || maxInFlightRequests > 5) {
    throw new Error(`kafka: maxInFlightRequests must be 1..5 for an idempotent producer, got ${maxInFlightRequests}`);
  }
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests,
    allowAutoTopicCreation: false,
    // murmur2 of the key bytes, as Java clients (and so Kafka Connect / Debezium) partition.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}

const toMessage = (r: OutgoingRecord): KafkaMessage => ({ key: r.key, value: r.value, headers: { ...r.headers } });

/**
 * Sends `records` to `topic` in the given order with acks=all and resolves once the broker has
 * acknowledged every one of them (per partition, order within the call is kept).
 */
export async function sendRecords(
  producer: Producer,
  topic: string,
  records: readonly OutgoingRecord[],
  options: { ackTimeoutMs?: number; compression?: "none" | "gzip" } = {},
): Promise<RecordAck[]> {
  if (records.length === 0) return [];
  const result = await producer.send({
    topic,
    acks: -1,
    timeout: options.ackTimeoutMs ?? 30_000,
    compression: options.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
    messages: records.map(toMessage),
  });
  return result.map((r) => ({ topic: r.topicName, partition: r.partition, baseOffset: r.baseOffset ?? "-1" }));
}

/**
 * Broker refusals caused by the record itself: sending it again cannot succeed. Nothing else
 * belongs here — not CORRUPT_MESSAGE (a CRC mismatch on the wire; retriable in the protocol),
 * INVALID_REQUIRED_ACKS (the producer's configuration) or TOPIC_AUTHORIZATION_FAILED (an ACL):
 * those hit every record alike, and parking the whole backlog would turn a fix of the broker
 * or the configuration into `relay retry-failed` of every row.
 */
const RECORD_ERRORS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD"]);

/**
 * "record": the broker refused a record for what it is (too large, invalid) — retrying the
 * same record is pointless, isolate it; it counts toward parking. "transient": anything else
 * (broker down, timeouts, leader moves, disconnects, an open circuit) — the record is fine,
 * try again later; it never counts toward parking.
 */
export function classifyPublishError(error: unknown): "record" | "transient" {
  // kafkajs names the broker's error in `type`, @platformatic/kafka in `apiId` of a
  // ProtocolError inside a ResponseError's `errors`; both may wrap it in `cause`.
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): boolean => {
    if (!e || typeof e !== "object" || depth > 8 || seen.has(e)) return false;
    seen.add(e);
    const { type, apiId, cause, errors } = e as { type?: unknown; apiId?: unknown; cause?: unknown; errors?: unknown };
    if ((typeof type === "string" && RECORD_ERRORS.has(type)) || (typeof apiId === "string" && RECORD_ERRORS.has(apiId))) return true;
    if (Array.isArray(errors) && errors.some((inner) => visit(inner, depth + 1))) return true;
    return visit(cause, depth + 1);
  };
  return visit(error, 0) ? "record" : "transient";
}
