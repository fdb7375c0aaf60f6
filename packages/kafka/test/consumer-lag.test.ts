import { randomUUID } from "node:crypto";
import { kafkaBrokers } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BatchConsumer,
  createBatchConsumer,
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  type Kafka,
  type Producer,
} from "../src/index.ts";

let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  kafka = createKafka({ brokers: kafkaBrokers(), clientId: "consumer-lag-test" });
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
});

const until = async (what: string, check: () => boolean, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("consumer lag after a rebalance", () => {
  it("stops reporting a partition's lag once the partition went to another member", async () => {
    const topic = `lag-${randomUUID().slice(0, 8)}`;
    await ensureTopics(kafka, [{ topic, partitions: 4 }]);
    await producer.send({ topic, messages: [0, 1, 2, 3].map((partition) => ({ partition, key: `k${partition}`, value: "x" })) });

    const groupId = `g-${topic}`;
    // What a metrics gauge would hold for member A: one series per (topic, partition).
    const seriesA = new Map<string, number>();
    const assignedTo = (c: BatchConsumer) =>
      new Promise<number[]>((resolve) => {
        c.consumer.on(c.consumer.events.GROUP_JOIN, (e) => resolve([...(e.payload.memberAssignment[topic] ?? [])].sort()));
      });
    const a = createBatchConsumer(kafka, {
      groupId,
      topics: [topic],
      sessionTimeoutMs: 10_000,
      handle: async () => {},
      onLag: (t, p, lag) => {
        if (lag === null) seriesA.delete(`${t}/${p}`);
        else seriesA.set(`${t}/${p}`, lag);
      },
    });
    const b = createBatchConsumer(kafka, { groupId, topics: [topic], sessionTimeoutMs: 10_000, handle: async () => {} });
    try {
      await a.start();
      await until("member A to report lag for all four partitions", () => seriesA.size === 4);

      // B joins: the group rebalances and A keeps only part of the partitions.
      const rejoinA = new Promise<number[]>((resolve) => {
        a.consumer.on(a.consumer.events.GROUP_JOIN, (e) => resolve([...(e.payload.memberAssignment[topic] ?? [])].sort()));
      });
      const joinedB = assignedTo(b);
      await b.start();
      const [keptByA, takenByB] = await Promise.all([rejoinA, joinedB]);
      expect(keptByA.length + takenByB.length).toBe(4);
      expect(takenByB.length).toBeGreaterThan(0);

      await until(
        "member A to forget the partitions it lost",
        () => [...seriesA.keys()].every((k) => keptByA.includes(Number(k.split("/")[1]))),
        15_000,
      );
      for (const p of takenByB) expect(seriesA.has(`${topic}/${p}`)).toBe(false);
    } finally {
      await b.stop();
      await a.stop();
    }
  }, 120_000);
});
