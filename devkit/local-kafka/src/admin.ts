import { type Admin, Kafka, logLevel } from "kafkajs";

function quietKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  });
}

/** True once the broker answers a metadata request (describeCluster) with itself in it. */
export async function servesMetadata(brokers: string[]): Promise<boolean> {
  const admin = quietKafka(brokers, "local-kafka-probe").admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * True once a consumer group and an idempotent producer would get going without errors.
 * Right after a (re)start the group coordinator is still creating or loading
 * `__consumer_offsets` and the broker has no producer ids yet; clients recover from that
 * on their own, but kafkajs logs it as ERROR and a consumer "crashes" and restarts once.
 */
export async function coordinatorsReady(brokers: string[]): Promise<boolean> {
  const kafka = quietKafka(brokers, "local-kafka-warmup");
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } });
  try {
    await admin.connect();
    // Fills kafkajs' broker pool; describeGroups() alone would find it empty.
    await admin.describeCluster();
    // FindCoordinator makes the broker create __consumer_offsets; DescribeGroups fails with
    // COORDINATOR_LOAD_IN_PROGRESS until the group's partition is loaded.
    await admin.describeGroups(["local-kafka-warmup"]);
    // An idempotent producer's connect() runs InitProducerId.
    await producer.connect();
    return true;
  } catch {
    return false;
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

export type TopicSpec = {
  topic: string;
  partitions: number;
  /** Always 1 on the local broker; settable for real clusters. */
  replicationFactor?: number;
  /** Topic-level configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string>;
};

/**
 * Creates the topics that don't exist yet and waits until every partition of every listed
 * topic has a leader. Idempotent: existing topics (also ones created concurrently, which the
 * broker reports as TOPIC_ALREADY_EXISTS) are left as they are.
 */
export async function createTopics(brokers: string[], topics: TopicSpec[]): Promise<{ created: string[]; existing: string[] }> {
  const admin = new Kafka({
    clientId: "local-kafka-admin",
    brokers,
    logLevel: logLevel.WARN,
  }).admin();
  await admin.connect();
  try {
    const before = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !before.has(t.topic));
    if (missing.length > 0) {
      // Resolves false when all of them already existed (a concurrent creator won): fine.
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? 1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    await waitForLeaders(
      admin,
      topics.map((t) => t.topic),
    );
    return {
      created: missing.map((t) => t.topic),
      existing: topics.filter((t) => before.has(t.topic)).map((t) => t.topic),
    };
  } finally {
    await admin.disconnect();
  }
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`local-kafka: no leaders for ${topics.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
