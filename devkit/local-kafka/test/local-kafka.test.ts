import { type EachMessagePayload, Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopics, type LocalKafka, startKafka } from "../src/index.ts";

const TOPIC = "local-kafka-test";
const COUNT = 100;
const KEYS = 10;

type Received = { partition: number; offset: bigint; key: string; seq: number };

let broker: LocalKafka;

beforeAll(async () => {
  broker = await startKafka();
});

afterAll(async () => {
  await broker?.stop();
});

function client(): Kafka {
  return new Kafka({ clientId: "local-kafka-test", brokers: broker.brokers, logLevel: logLevel.WARN });
}

/** Reads the whole topic from the beginning with a fresh consumer group. */
async function consumeAll(groupId: string, expected: number): Promise<Received[]> {
  const consumer = client().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          const value = JSON.parse(message.value?.toString() ?? "null") as { seq: number };
          received.push({ partition, offset: BigInt(message.offset), key: message.key?.toString() ?? "", seq: value.seq });
          if (received.length >= expected) resolve();
        },
      });
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function expectCompleteAndOrdered(received: Received[]): void {
  expect(received).toHaveLength(COUNT);
  expect(new Set(received.map((r) => r.seq)).size).toBe(COUNT);
  const byPartition = Map.groupBy(received, (r) => r.partition);
  for (const messages of byPartition.values()) {
    const offsets = messages.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // Offset order is send order: sequence numbers only grow within a partition.
    const seqs = messages.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
  // The same key always lands on the same partition.
  const partitionOfKey = new Map<string, Set<number>>();
  for (const r of received) partitionOfKey.set(r.key, (partitionOfKey.get(r.key) ?? new Set()).add(r.partition));
  for (const partitions of partitionOfKey.values()) expect(partitions.size).toBe(1);
}

describe("local Kafka broker", () => {
  it("serves on loopback and creates topics idempotently", async () => {
    expect(broker.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(broker.brokers).toEqual([broker.bootstrap]);
    const first = await createTopics(broker.brokers, [{ topic: TOPIC, partitions: 3 }]);
    expect(first).toEqual({ created: [TOPIC], existing: [] });
    const again = await createTopics(broker.brokers, [{ topic: TOPIC, partitions: 3 }]);
    expect(again).toEqual({ created: [], existing: [TOPIC] });

    const admin = client().admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    await admin.disconnect();
    expect(topics[0]?.partitions).toHaveLength(3);
  });

  it("delivers an idempotent producer's messages to a consumer group in per-partition order", async () => {
    const producer = client().producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    for (let seq = 0; seq < COUNT; seq++) {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: [{ key: `order-${seq % KEYS}`, value: JSON.stringify({ seq }) }],
      });
    }
    await producer.disconnect();

    const received = await consumeAll("group-before-restart", COUNT);
    expectCompleteAndOrdered(received);
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it("keeps the messages across a graceful stop and a restart on the same address", async () => {
    const bootstrap = broker.bootstrap;
    await broker.stop({ keepData: true });
    expect(broker.running).toBe(false);
    await broker.restart();
    expect(broker.bootstrap).toBe(bootstrap);
    expectCompleteAndOrdered(await consumeAll("group-after-restart", COUNT));
  });

  it("recovers from a SIGKILL without losing acknowledged messages", async () => {
    await broker.kill();
    expect(broker.running).toBe(false);
    await broker.restart();
    expectCompleteAndOrdered(await consumeAll("group-after-kill", COUNT));
  });
});
