import type { Producer } from "kafkajs";
import type { ConsumedRecord } from "./consumer.ts";
import { sendRecords } from "./producer.ts";
import { deadLetterTopic } from "./topics.ts";

/** Headers a dead letter carries besides the original ones (which are kept verbatim). */
export const DLQ_HEADERS = {
  reason: "dlq_reason",
  detail: "dlq_detail",
  topic: "dlq_original_topic",
  partition: "dlq_original_partition",
  offset: "dlq_original_offset",
  consumer: "dlq_consumer",
  at: "dlq_at",
} as const;

/** The consumed record as it arrived (headers decoded as text), and why it was dead-lettered. */
export interface DeadLetter extends ConsumedRecord {
  /** Stable code, e.g. SCHEMA_INVALID, UNKNOWN_ORDER, APPLY_FAILED. */
  readonly reason: string;
  readonly detail: string;
}

/** The dead-letter record: same key and value bytes, the original headers plus why and where from. */
export function deadLetterRecord(letter: DeadLetter, consumer: string, at = new Date()) {
  return {
    key: letter.key?.toString("utf8") ?? "",
    value: letter.value ?? Buffer.alloc(0),
    headers: {
      ...letter.headers,
      [DLQ_HEADERS.reason]: letter.reason,
      [DLQ_HEADERS.detail]: letter.detail.slice(0, 2_000),
      [DLQ_HEADERS.topic]: letter.topic,
      [DLQ_HEADERS.partition]: String(letter.partition),
      [DLQ_HEADERS.offset]: letter.offset,
      [DLQ_HEADERS.consumer]: consumer,
      [DLQ_HEADERS.at]: at.toISOString(),
    },
  };
}

/**
 * Sends dead letters to `<topic>.dlq` with acks=all and resolves once stored: the caller
 * commits the original offsets only after this, so a crash re-sends rather than loses them.
 */
export async function sendDeadLetters(producer: Producer, consumer: string, letters: readonly DeadLetter[]): Promise<void> {
  const byTopic = new Map<string, DeadLetter[]>();
  for (const l of letters) byTopic.set(l.topic, [...(byTopic.get(l.topic) ?? []), l]);
  for (const [topic, list] of byTopic) {
    await sendRecords(
      producer,
      deadLetterTopic(topic),
      list.map((l) => deadLetterRecord(l, consumer)),
    );
  }
}
