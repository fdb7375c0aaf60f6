import type { Kafka } from "./client.ts";
import { DLQ_HEADERS } from "./dead-letter.ts";
import { type OutgoingRecord, type Producer, sendRecords } from "./producer.ts";
import { readRawTopicToEnd } from "./topic-reader.ts";
import { deadLetterTopic } from "./topics.ts";

/** One record of `<topic>.dlq`, split into what it was and why it is there. */
export interface StoredDeadLetter {
  /** Where it sits in the dead-letter topic. */
  readonly dlqTopic: string;
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  /** Where it came from and why it was refused (the dlq_* headers). */
  readonly originalTopic: string;
  readonly originalPartition: number | null;
  readonly originalOffset: string | null;
  readonly reason: string;
  readonly detail: string;
  readonly consumer: string | null;
  /** When it was dead-lettered (dlq_at, else the record's timestamp). */
  readonly at: Date;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The original headers, dlq_* removed: what the consumer saw (ce_id is the inbox's message id). */
  readonly headers: Readonly<Record<string, string>>;
  /** ce_id of the original record, when it had one. */
  readonly messageId: string | null;
  /** The record key: the order id for every result topic. */
  readonly orderId: string | null;
}

export interface DeadLetterFilter {
  readonly reason?: string;
  readonly orderId?: string;
  /** Dead-lettered at or after. */
  readonly since?: Date;
  /** Dead-lettered before. */
  readonly until?: Date;
}

const DLQ_PREFIX = "dlq_";

/** The stored dead letter of a read record (the headers deadLetterRecord wrote). */
export function parseDeadLetter(
  dlqTopic: string,
  r: {
    partition: number;
    offset: string;
    timestamp: number;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, string>;
  },
): StoredDeadLetter {
  const h = r.headers;
  const original = Object.fromEntries(Object.entries(h).filter(([name]) => !name.startsWith(DLQ_PREFIX)));
  const stamped = h[DLQ_HEADERS.at];
  const at = stamped ? new Date(stamped) : new Date(r.timestamp);
  const key = r.key && r.key.length > 0 ? r.key.toString("utf8") : null;
  return {
    dlqTopic,
    dlqPartition: r.partition,
    dlqOffset: r.offset,
    originalTopic: h[DLQ_HEADERS.topic] ?? dlqTopic.replace(/\.dlq$/, ""),
    originalPartition: h[DLQ_HEADERS.partition] !== undefined ? Number(h[DLQ_HEADERS.partition]) : null,
    originalOffset: h[DLQ_HEADERS.offset] ?? null,
    reason: h[DLQ_HEADERS.reason] ?? "UNKNOWN",
    detail: h[DLQ_HEADERS.detail] ?? "",
    consumer: h[DLQ_HEADERS.consumer] ?? null,
    at: Number.isNaN(at.getTime()) ? new Date(r.timestamp) : at,
    key: r.key,
    value: r.value,
    headers: original,
    messageId: original.ce_id ?? null,
    orderId: key,
  };
}

export const matchesDeadLetter = (l: StoredDeadLetter, f: DeadLetterFilter): boolean =>
  (f.reason === undefined || l.reason === f.reason) &&
  (f.orderId === undefined || l.orderId === f.orderId) &&
  (f.since === undefined || l.at >= f.since) &&
  (f.until === undefined || l.at < f.until);

/**
 * Reads `<topic>.dlq` from the beginning to its end as of now (nothing is committed, so a read
 * never hides a letter from the next one) and returns the letters that match `filter`.
 */
export async function readDeadLetters(
  kafka: Kafka,
  topic: string,
  filter: DeadLetterFilter = {},
  options: { timeoutMs?: number; onProgress?: (read: number, total: number) => void } = {},
): Promise<StoredDeadLetter[]> {
  const dlq = deadLetterTopic(topic);
  const admin = kafka.admin();
  await admin.connect();
  const exists = await admin
    .listTopics()
    .then((names) => names.includes(dlq))
    .finally(() => admin.disconnect());
  if (!exists) return [];
  const raw = await readRawTopicToEnd(kafka, dlq, {
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.onProgress ? { onRecord: options.onProgress } : {}),
  });
  return raw.map((r) => parseDeadLetter(dlq, r)).filter((l) => matchesDeadLetter(l, filter));
}

/**
 * The record a re-drive sends: the original key, value bytes and headers (dlq_* removed), so
 * the consumer sees the same message id and its inbox (processed_messages) drops a repeat.
 */
export const redriveRecord = (l: StoredDeadLetter): OutgoingRecord => ({
  key: l.key?.toString("utf8") ?? "",
  value: l.value ?? Buffer.alloc(0),
  headers: l.headers,
});

/**
 * Sends letters back to their original topics (acks=all, in the order given, which keeps the
 * original order per key). Re-running is safe: a message id already applied is a duplicate.
 */
export async function redriveDeadLetters(
  producer: Producer,
  letters: readonly StoredDeadLetter[],
  options: { batchSize?: number; onProgress?: (sent: number) => void } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let sent = 0;
  for (let i = 0; i < letters.length; i += batchSize) {
    const batch = letters.slice(i, i + batchSize);
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const l of batch) byTopic.set(l.originalTopic, [...(byTopic.get(l.originalTopic) ?? []), redriveRecord(l)]);
    for (const [topic, records] of byTopic) await sendRecords(producer, topic, records);
    sent += batch.length;
    options.onProgress?.(sent);
  }
  return sent;
}
