import { randomUUID } from "node:crypto";
import { kafkaBrokers } from "@orders/testkit";
import { Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifyPublishError,
  createIdempotentProducer,
  createKafka,
  createRecordSender,
  ensureTopics,
  javaPartitionHash,
  type Kafka,
  type OutgoingRecord,
  outboxRecord,
  type RecordSender,
  readTopicToEnd,
  sendRecords,
} from "../src/index.ts";

let kafka: Kafka;
let sender: RecordSender;

beforeAll(() => {
  kafka = createKafka({ brokers: kafkaBrokers(), clientId: "record-sender-test", logLevel: "nothing" });
  sender = createRecordSender({ brokers: kafkaBrokers(), clientId: "record-sender-test" });
});
afterAll(async () => {
  await sender?.close();
});

const record = (aggregateId: string, i: number): OutgoingRecord =>
  outboxRecord({
    id: randomUUID(),
    aggregateId,
    type: i % 2 ? "OrderConfirmed" : "OrderCreated",
    payload: `{"orderId": "${aggregateId}", "i": ${i}, "totalAmount": "10.05", "note": "ünïcödé ✓"}`,
    specVersion: "1.0",
    source: "/order-service/api",
    time: "2026-01-01T00:00:00.000Z",
    contentType: "application/json",
    traceparent: i % 3 ? null : "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  });

describe("the relay's record sender (@platformatic/kafka)", () => {
  it("hashes keys exactly as the Java client (and kafkajs' default partitioner) does", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 2_000; i++) {
      const key = randomUUID().slice(0, i % 37);
      for (const n of [1, 3, 6, 7]) {
        const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0 }));
        const expected = kafkajs({ topic: "t", partitionMetadata, message: { key } } as never);
        expect(javaPartitionHash(Buffer.from(key)) % n, `key ${JSON.stringify(key)}, ${n} partitions`).toBe(expected);
      }
    }
  });

  it("sends key, value and headers byte for byte, in order per key, to the partition kafkajs would choose", async () => {
    const topic = `sender-${randomUUID().slice(0, 8)}`;
    const twin = `${topic}-kafkajs`;
    await ensureTopics(kafka, [
      { topic, partitions: 6 },
      { topic: twin, partitions: 6 },
    ]);
    const aggregates = Array.from({ length: 20 }, () => randomUUID());
    const records = Array.from({ length: 400 }, (_, i) => record(aggregates[i % aggregates.length] as string, i));
    await sender.connect(topic);
    const acks = [...(await sender.send(topic, records.slice(0, 250))), ...(await sender.send(topic, records.slice(250)))];
    expect(acks.length).toBeGreaterThan(0);

    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    await sendRecords(producer, twin, records);
    await producer.disconnect();

    const [got, viaKafkajs] = await Promise.all([readTopicToEnd(kafka, topic), readTopicToEnd(kafka, twin)]);
    expect(got).toHaveLength(records.length);
    const partitionOf = new Map(viaKafkajs.map((r) => [r.key, r.partition]));
    for (const aggregate of aggregates) {
      const sent = records.filter((r) => r.key === aggregate);
      const read = got.filter((r) => r.key === aggregate);
      expect(read.map((r) => ({ key: r.key, value: r.value, headers: r.headers }))).toEqual(
        sent.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      );
      expect(new Set(read.map((r) => r.partition))).toEqual(new Set([partitionOf.get(aggregate)]));
    }
  });

  it("reports a record the broker refuses as the record's fault, and an unreachable broker as transient", async () => {
    const topic = `sender-big-${randomUUID().slice(0, 8)}`;
    await ensureTopics(kafka, [{ topic, partitions: 1 }]);
    const huge = { key: "k", value: "x".repeat(2 * 1024 * 1024), headers: {} };
    const refused = await sender.send(topic, [huge]).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).not.toBeNull();
    expect(classifyPublishError(refused)).toBe("record");

    const nowhere = createRecordSender({ brokers: ["127.0.0.1:9"], clientId: "nowhere", requestTimeoutMs: 1_000, retries: 0 });
    const unreachable = await nowhere.send(topic, [record(randomUUID(), 0)]).then(
      () => null,
      (error: unknown) => error,
    );
    await nowhere.close();
    expect(unreachable).not.toBeNull();
    expect(classifyPublishError(unreachable)).toBe("transient");
  });
});
