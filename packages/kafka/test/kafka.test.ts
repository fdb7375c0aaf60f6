import { randomUUID } from "node:crypto";
import { kafkaBrokers } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createIdempotentProducer,
  createKafka,
  deadLetterTopic,
  ensureTopics,
  headersAsText,
  type Kafka,
  outboxRecord,
  type Producer,
  partitionCount,
  projectTopics,
  sendRecords,
} from "../src/index.ts";

let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  kafka = createKafka({ brokers: kafkaBrokers(), clientId: "kafka-package-test" });
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
});

describe("@orders/kafka against a real broker", () => {
  it("creates every project topic with its dead-letter topic, idempotently", async () => {
    const suffix = randomUUID().slice(0, 8);
    const names = { orders: `o-${suffix}`, inventory: `i-${suffix}`, payments: `p-${suffix}`, deliveries: `d-${suffix}` };
    const specs = projectTopics(names, 4);
    expect(await ensureTopics(kafka, specs)).toHaveLength(8);
    expect(await ensureTopics(kafka, specs)).toEqual([]);
    expect(await partitionCount(kafka, names.orders)).toBe(4);
    expect(await partitionCount(kafka, deadLetterTopic(names.orders))).toBe(1);
  });

  it("publishes an outbox record with acks=all and a consumer reads key, value and headers back unchanged", async () => {
    const topic = `records-${randomUUID().slice(0, 8)}`;
    await ensureTopics(kafka, [{ topic, partitions: 2 }]);
    const rec = outboxRecord({
      id: randomUUID(),
      aggregateId: randomUUID(),
      type: "OrderCreated",
      payload: '{"total": "12.50", "items": [{"q": 1}]}',
      specVersion: "1.0",
      source: "/order-service/api",
      time: "2025-01-01T00:00:00.000Z",
      contentType: "application/json",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    const acks = await sendRecords(producer, topic, [rec]);
    expect(acks).toHaveLength(1);

    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got = await new Promise<{ key: string; value: string; headers: Record<string, string> }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          resolve({ key: message.key?.toString() ?? "", value: message.value?.toString() ?? "", headers: headersAsText(message.headers) });
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual({ key: rec.key, value: rec.value, headers: rec.headers });
  });
});
