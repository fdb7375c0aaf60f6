import { randomUUID } from "node:crypto";
import type { Kafka } from "./client.ts";
import { headersAsText } from "./cloudevents.ts";

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** A record as stored: key and value bytes untouched, the broker's timestamp (ms since epoch). */
export interface RawRecord {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning up to the high watermarks taken at the start (a snapshot):
 * for checkers, tests and benchmarks. Uses a throw-away group and commits nothing.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, timeoutMs = 120_000): Promise<ReadRecord[]> {
  return (await readRawTopicToEnd(kafka, topic, { timeoutMs })).map((r) => ({
    partition: r.partition,
    offset: r.offset,
    key: r.key?.toString("utf8") ?? null,
    value: r.value?.toString("utf8") ?? null,
    headers: r.headers,
  }));
}

/** readTopicToEnd with the bytes as stored (re-sending a record must not re-encode it). */
export async function readRawTopicToEnd(
  kafka: Kafka,
  topic: string,
  options: { timeoutMs?: number; onRecord?: (read: number, total: number) => void } = {},
): Promise<RawRecord[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
  const total = offsets.reduce((n, o) => n + Math.max(0, Number(o.high) - Number(o.low)), 0);
  const out: RawRecord[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxBytesPerPartition: 4_194_304 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic}: timed out with ${out.length} records`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const high = remaining.get(batch.partition);
          if (high === undefined) return;
          for (const m of batch.messages) {
            if (Number(m.offset) >= high) break;
            out.push({
              partition: batch.partition,
              offset: m.offset,
              timestamp: Number(m.timestamp),
              key: m.key ?? null,
              value: m.value ?? null,
              headers: headersAsText(m.headers),
            });
          }
          options.onRecord?.(out.length, total);
          const last = batch.messages.at(-1);
          if (last && Number(last.offset) >= high - 1) remaining.delete(batch.partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
