import type { Consumer, EachBatchPayload } from "kafkajs";
import type { Kafka } from "./client.ts";
import { headersAsText } from "./cloudevents.ts";

export type { Consumer } from "kafkajs";

/** One consumed record with its headers already decoded as text. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Handles a chunk of one partition's records in offset order. Resolving means every record is
 * durably dealt with (applied, skipped or dead-lettered); only then is the offset committed.
 * Throwing leaves the offsets where they were, so the records come again.
 */
export type ChunkHandler = (records: readonly ConsumedRecord[]) => Promise<void>;

export interface BatchConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handle: ChunkHandler;
  /** Records per handler call (≈ per database transaction). */
  readonly chunkSize?: number;
  /** Partitions handled at once by this instance. */
  readonly partitionsConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  readonly fromBeginning?: boolean;
  /** Lag of a partition after each chunk (high watermark − next offset). */
  readonly onLag?: (topic: string, partition: number, lag: number) => void;
  readonly onCrash?: (error: unknown, restarting: boolean) => void;
}

export interface BatchConsumer {
  readonly consumer: Consumer;
  start(): Promise<void>;
  /** Finishes the chunk in hand, commits, leaves the group. */
  stop(): Promise<void>;
}

/**
 * A consumer-group member that hands records to `handle` in chunks and commits a chunk's
 * offsets only after `handle` resolved (at-least-once; duplicates are the handler's business).
 */
export function createBatchConsumer(kafka: Kafka, options: BatchConsumerOptions): BatchConsumer {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 1_048_576,
    allowAutoTopicCreation: false,
  });
  const chunkSize = options.chunkSize ?? 200;
  if (options.onCrash) {
    consumer.on(consumer.events.CRASH, (e) => options.onCrash?.(e.payload.error, e.payload.restart));
  }

  const eachBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    const records = batch.messages;
    for (let start = 0; start < records.length; start += chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = records.slice(start, start + chunkSize).map(
        (m): ConsumedRecord => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          headers: headersAsText(m.headers),
        }),
      );
      await options.handle(chunk);
      const last = chunk.at(-1);
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      if (last && options.onLag) {
        const lag = Number(batch.highWatermark) - Number(last.offset) - 1;
        options.onLag(batch.topic, batch.partition, Math.max(0, lag));
      }
    }
  };

  return {
    consumer,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: true,
        // Commit at every commitOffsetsIfNecessary() call, i.e. after every handled chunk.
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently ?? 3,
        eachBatch,
      });
    },
    async stop() {
      await consumer.disconnect();
    },
  };
}
