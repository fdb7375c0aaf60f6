import * as v from "valibot";
import type { Kafka } from "./client.ts";

/** The project's topics (DESIGN §5, §8); names come from the environment. */
export interface TopicNames {
  readonly orders: string;
  readonly inventory: string;
  readonly payments: string;
  readonly deliveries: string;
}

export const DEFAULT_TOPIC_NAMES: TopicNames = {
  orders: "orders",
  inventory: "inventory",
  payments: "payments",
  deliveries: "deliveries",
};

/** Dead-letter topic of a topic: `<topic>.dlq` (records that can never be applied). */
export const DEAD_LETTER_SUFFIX = ".dlq";
export const deadLetterTopic = (topic: string): string => `${topic}${DEAD_LETTER_SUFFIX}`;

const topicName = (fallback: string) =>
  v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name")), fallback);

/**
 * The env entries every app shares (spread into an app's valibot config schema):
 * ORDERS_TOPIC, INVENTORY_TOPIC, PAYMENTS_TOPIC, DELIVERIES_TOPIC, KAFKA_TOPIC_PARTITIONS,
 * KAFKA_REPLICATION_FACTOR.
 */
export const topicEnvEntries = {
  ORDERS_TOPIC: topicName(DEFAULT_TOPIC_NAMES.orders),
  INVENTORY_TOPIC: topicName(DEFAULT_TOPIC_NAMES.inventory),
  PAYMENTS_TOPIC: topicName(DEFAULT_TOPIC_NAMES.payments),
  DELIVERIES_TOPIC: topicName(DEFAULT_TOPIC_NAMES.deliveries),
  KAFKA_TOPIC_PARTITIONS: v.optional(
    v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(1), v.maxValue(1000)),
    "6",
  ),
  KAFKA_REPLICATION_FACTOR: v.optional(
    v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(1), v.maxValue(10)),
    "1",
  ),
};

export interface TopicEnv {
  readonly ORDERS_TOPIC: string;
  readonly INVENTORY_TOPIC: string;
  readonly PAYMENTS_TOPIC: string;
  readonly DELIVERIES_TOPIC: string;
}

export const topicNamesFrom = (env: TopicEnv): TopicNames => ({
  orders: env.ORDERS_TOPIC,
  inventory: env.INVENTORY_TOPIC,
  payments: env.PAYMENTS_TOPIC,
  deliveries: env.DELIVERIES_TOPIC,
});

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}

/** Every topic of the project, each with its dead-letter topic. */
export function projectTopics(names: TopicNames, partitions: number, replicationFactor = 1): TopicSpec[] {
  return Object.values(names).flatMap((topic) => [
    { topic, partitions, replicationFactor },
    // Dead letters are rare and read by people: one partition keeps them in arrival order.
    { topic: deadLetterTopic(topic), partitions: 1, replicationFactor },
  ]);
}

/** A concurrent creator won the race (TOPIC_ALREADY_EXISTS, possibly per topic). */
const alreadyExists = (error: unknown): boolean => {
  const e = error as { type?: string; errors?: { type?: string }[] } | null;
  return (
    e?.type === "TOPIC_ALREADY_EXISTS" ||
    ((e?.errors?.length ?? 0) > 0 && (e?.errors ?? []).every((x) => x.type === "TOPIC_ALREADY_EXISTS"))
  );
};

/**
 * Creates the topics that are missing and waits until every partition has a leader.
 * Idempotent and safe to race: a topic created concurrently by another process is fine.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[], timeoutMs = 30_000): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      // Our own leader wait below: the client's gives up on UNKNOWN_TOPIC_OR_PARTITION when the
      // metadata request races the creation.
      await admin
        .createTopics({
          waitForLeaders: false,
          topics: missing.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor ?? 1,
            configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        })
        .catch((error: unknown) => {
          if (!alreadyExists(error)) throw error;
        });
    }
    const names = topics.map((t) => t.topic);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: names })
        .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        .catch(() => false);
      if (ready) return missing.map((t) => t.topic);
      if (Date.now() > deadline) throw new Error(`kafka: topics without leaders after ${timeoutMs} ms: ${names.join(", ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Number of partitions of a topic (for tests, status output and partition-aware tools). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
