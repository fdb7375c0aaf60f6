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
 * What a handler needs to wait out a transient failure without losing the partition: while it
 * waits, the partition is in effect paused (no later record of it is handed out).
 */
export interface ChunkContext {
  /** Keeps this member in the group during a long wait (throttled to the heartbeat interval; throws on a rebalance). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: stop waiting. */
  isRunning(): boolean;
  /** True once the partition was revoked or seeked: the records belong to someone else now. */
  isStale(): boolean;
}

/**
 * Handles a chunk of one partition's records in offset order. Resolving means every record is
 * durably dealt with (applied, skipped or dead-lettered); only then is the offset committed.
 * Throwing leaves the offsets where they were, so the records come again; throwing
 * `ChunkAbandonedError` (stopping, or the batch went stale while waiting) does so quietly.
 */
export type ChunkHandler = (records: readonly ConsumedRecord[], context: ChunkContext) => Promise<void>;

/** The handler gave up on a chunk it could not finish yet, without spending anything of it. */
export class ChunkAbandonedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChunkAbandonedError";
  }
}

/** A context for calling a handler outside a consumer group (tests, tools): always running. */
export const standaloneChunkContext: ChunkContext = {
  heartbeat: async () => {},
  isRunning: () => true,
  isStale: () => false,
};

export interface BatchConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handle: ChunkHandler;
  /** Records per handler call (≈ per database transaction). */
  readonly chunkSize?: number;
  /** Partitions handled at once by this instance. */
  readonly partitionsConcurrently?: number;
  /**
   * Fetch bounds (issue 17, memory): bytes per partition and per fetch response. Each fetched
   * batch is held decoded in the heap until its chunks are applied, so these bound the
   * consumer's memory more than anything else; defaults 256 KiB and 2 MiB (kafkajs: 1 and 10 MiB).
   */
  readonly maxBytesPerPartition?: number;
  readonly maxBytes?: number;
  readonly sessionTimeoutMs?: number;
  readonly fromBeginning?: boolean;
  /**
   * Lag of a partition after each chunk (high watermark − next offset); `null` once the
   * partition is no longer this member's (lost in a rebalance, or the member stopped), so a
   * gauge drops that series instead of reporting a stale lag for ever.
   */
  readonly onLag?: (topic: string, partition: number, lag: number | null) => void;
  readonly onCrash?: (error: unknown, restarting: boolean) => void;
}

export interface BatchConsumer {
  readonly consumer: Consumer;
  start(): Promise<void>;
  /** Finishes the chunk in hand, commits, leaves the group. */
  stop(): Promise<void>;
}

const HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * A consumer-group member that hands records to `handle` in chunks and commits a chunk's
 * offsets only after `handle` resolved (at-least-once; duplicates are the handler's business).
 */
export function createBatchConsumer(kafka: Kafka, options: BatchConsumerOptions): BatchConsumer {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 262_144,
    maxBytes: options.maxBytes ?? 2_097_152,
    allowAutoTopicCreation: false,
  });
  const chunkSize = options.chunkSize ?? 200;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let restartDelayMs = RESTART_MIN_DELAY_MS;
  /**
   * kafkajs restarts a crashed consumer only when the cause is retriable by its own rules; a
   * handler's error (the database away longer than the handler's retries), a broker gone for
   * longer than the client's retries (KafkaJSNonRetriableError) and the like leave the process
   * running with a member that consumes nothing. Such a crash is restarted here, with backoff
   * up to RESTART_MAX_DELAY_MS, for as long as it lasts; the records come again from the last
   * committed offset.
   */
  const restartLater = () => {
    if (stopping || restartTimer) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void run().then(
        () => {
          restartDelayMs = RESTART_MIN_DELAY_MS;
        },
        (error: unknown) => {
          options.onCrash?.(error, true);
          void consumer.disconnect().catch(() => {});
          restartLater();
        },
      );
    }, restartDelayMs);
    restartDelayMs = Math.min(restartDelayMs * 2, RESTART_MAX_DELAY_MS);
  };
  // Partitions this member reported a lag for, and those it owns since the last join.
  const reported = new Map<string, { topic: string; partition: number }>();
  let assigned: ReadonlySet<string> | null = null;
  const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const forget = (keep: (key: string) => boolean) => {
    for (const [key, { topic, partition }] of reported) {
      if (keep(key)) continue;
      reported.delete(key);
      options.onLag?.(topic, partition, null);
    }
  };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const now = new Set<string>();
    for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
      for (const partition of partitions) now.add(keyOf(topic, partition));
    }
    assigned = now;
    forget((key) => now.has(key));
  });
  consumer.on(consumer.events.STOP, () => {
    assigned = null;
    forget(() => false);
  });
  consumer.on(consumer.events.CRASH, (e) => {
    const restartedByClient = e.payload.restart;
    options.onCrash?.(e.payload.error, restartedByClient || !stopping);
    if (!restartedByClient) restartLater();
  });

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
      // A handler may wait long (a statement stuck behind a row lock for up to statement_timeout):
      // heartbeats keep going meanwhile, so the group does not think this member died. Errors here
      // (a rebalance) surface at the handler's own heartbeat() or the commit below.
      const keepAlive = setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_INTERVAL_MS);
      try {
        await options.handle(chunk, { heartbeat, isRunning, isStale });
      } catch (error) {
        // Not committed: the chunk comes again (after a restart, or to the partition's new owner).
        if (error instanceof ChunkAbandonedError) return;
        throw error;
      } finally {
        clearInterval(keepAlive);
      }
      const last = chunk.at(-1);
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      // A chunk finishing after its partition was revoked reports nothing: the series is gone.
      const key = keyOf(batch.topic, batch.partition);
      if (last && options.onLag && !isStale() && (assigned === null || assigned.has(key))) {
        const lag = Number(batch.highWatermark) - Number(last.offset) - 1;
        reported.set(key, { topic: batch.topic, partition: batch.partition });
        options.onLag(batch.topic, batch.partition, Math.max(0, lag));
      }
    }
  };

  const run = async () => {
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
  };

  return {
    consumer,
    start: run,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      await consumer.disconnect();
    },
  };
}

const RESTART_MIN_DELAY_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;
