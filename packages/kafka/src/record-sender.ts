import type { Producer } from "@platformatic/kafka";
import { loadPlatformaticKafka } from "./logging.ts";
import type { OutgoingRecord, RecordAck } from "./producer.ts";

/**
 * The relay's hot path: an idempotent, acks=all producer that sends a batch of records and
 * resolves when the broker acknowledged every one.
 *
 * It runs on `@platformatic/kafka` rather than kafkajs: same protocol guarantees (idempotent
 * producer id + per-partition sequence numbers, one request in flight per connection, acks=-1),
 * at half the CPU per record (docs/kafka.md: 17 vs 34 µs, the relay's single largest cost in
 * Node). kafkajs stays for consumers, admin and the low-volume producers; both clients live only
 * in this package.
 */
export interface RecordSender {
  /** Resolves once `topic` is known to the cluster (a start-up dependency check). */
  connect(topic: string): Promise<void>;
  send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordAck[]>;
  close(): Promise<void>;
}

export interface RecordSenderOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Request timeout: connect, metadata and each produce round trip (broker-side ack wait included). */
  readonly requestTimeoutMs?: number;
  /**
   * Retries of one send inside the client, bounded so that a send fails in finite time and the
   * caller's retry/breaker policy decides what happens next.
   */
  readonly retries?: number;
}

export function createRecordSender(options: RecordSenderOptions): RecordSender {
  if (options.brokers.length === 0) throw new Error("kafka: no brokers given");
  const timeout = options.requestTimeoutMs ?? 30_000;
  const { ProduceAcks, Producer } = loadPlatformaticKafka();
  const newProducer = () =>
    new Producer({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      connectTimeout: Math.min(timeout, 5_000),
      timeout,
      retries: options.retries ?? 3,
      retryDelay: 100,
      // The Java clients' partitioner (and so Kafka Connect's / Debezium's): a record lands on
      // the same partition whichever path published it.
      partitioner: (_message, key) => (key ? javaPartitionHash(key) : 0),
    });
  let producer = newProducer();
  let closed = false;
  /**
   * The client retries a producer-id request without limit (while the broker is away), and a
   * send has no cancel: a send that outlives `timeout` closes its producer — which fails the
   * send and ends its retries, so it cannot land behind a later re-send of the same rows — and
   * the next send starts on a new one (a new producer id; the rows go out again at least once).
   */
  const abandon = (stuck: Producer) => {
    if (producer === stuck && !closed) producer = newProducer();
    stuck.close().catch(() => {});
  };
  return {
    connect: async (topic) => {
      await producer.metadata({ topics: [topic] });
    },
    send: async (topic, records) => {
      if (records.length === 0) return [];
      const current = producer;
      const timer = setTimeout(() => abandon(current), timeout + 1_000);
      try {
        const result = await current.send({ messages: records.map((r) => toMessage(topic, r)) });
        return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, baseOffset: String(o.offset) }));
      } catch (error) {
        // The client's top-level message is generic ("Producing messages failed."); the row's
        // last_error and the logs should say what the broker said.
        throw new Error(`Kafka send failed: ${describeSendError(error)}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      closed = true;
      await producer.close();
    },
  };
}

/** The distinct leaf causes of a client error, e.g. "MESSAGE_TOO_LARGE: The request included …". */
export function describeSendError(error: unknown): string {
  const leaves = new Set<string>();
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== "object" || depth > 8) return;
    const { errors, cause, apiId, message } = e as { errors?: unknown; cause?: unknown; apiId?: unknown; message?: unknown };
    const inner = [...(Array.isArray(errors) ? errors : []), ...(cause ? [cause] : [])];
    if (inner.length === 0 || typeof apiId === "string") {
      leaves.add(typeof apiId === "string" ? `${apiId}: ${String(message)}` : String(message));
      return;
    }
    for (const i of inner) visit(i, depth + 1);
  };
  visit(error, 0);
  return [...leaves].join("; ") || String(error);
}

/** Header names repeat on every record (the CloudEvents set): encode each once. */
const headerNames = new Map<string, Buffer>();
const headerName = (name: string): Buffer => {
  let bytes = headerNames.get(name);
  if (!bytes) {
    bytes = Buffer.from(name);
    if (headerNames.size < 256) headerNames.set(name, bytes);
  }
  return bytes;
};

function toMessage(topic: string, r: OutgoingRecord) {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(r.headers)) headers.set(headerName(name), Buffer.from(value));
  return { topic, key: Buffer.from(r.key), value: typeof r.value === "string" ? Buffer.from(r.value) : r.value, headers };
}

/**
 * `Utils.toPositive(Utils.murmur2(key))` of the Java client (seed 0x9747b28c); the client then
 * takes it modulo the partition count. 32-bit integer arithmetic (`Math.imul`), no BigInt.
 */
export function javaPartitionHash(key: Buffer): number {
  const m = 0x5bd1e995;
  const length = key.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= key[whole + 2]! << 16;
  if (rest >= 2) h ^= key[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= key[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h & 0x7fffffff;
}
