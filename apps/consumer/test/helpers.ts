import { randomUUID } from "node:crypto";
import {
  createIdempotentProducer,
  createKafka,
  type Kafka,
  type OutgoingRecord,
  orderResultRecord,
  type Producer,
  sendRecords,
} from "@orders/kafka";
import { createLogger, DEFAULT_HTTP_POLICY } from "@orders/runtime";
import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import { afterAll, beforeAll } from "vitest";
import type { ConsumerConfig } from "../src/config.ts";

export const uniqueTopics = () => {
  const s = randomUUID().slice(0, 8);
  return { orders: `orders-${s}`, inventory: `inventory-${s}`, payments: `payments-${s}`, deliveries: `deliveries-${s}` };
};

/**
 * What a consumer test file runs against: a fresh database, a Kafka client and an idempotent
 * producer connected for the whole file (disconnected before the database is dropped), and a
 * silent logger named after the file's client id.
 */
export const useKafkaTestbed = (label: string, clientId: string) => {
  const db = useFreshDatabase(label);
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId });
  const producer = createIdempotentProducer(kafka);
  beforeAll(async () => {
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });
  return { db, kafka, producer, logger: createLogger({ service: clientId, level: "silent" }) };
};

/** A consumer on its own topics and group, job workers off, schedules that never fire in a test. */
export const testConsumerConfig = (
  databaseUrl: string,
  topics: ReturnType<typeof uniqueTopics>,
  groupId: string,
  overrides: Partial<ConsumerConfig> = {},
): ConsumerConfig => ({
  databaseUrl,
  brokers: kafkaBrokers(),
  groupId,
  topics,
  paymentUrl: "http://127.0.0.1:9",
  maxPaymentAttempts: 3,
  pendingDeadlineMs: 3_600_000,
  deadlineCron: "0 0 * * *",
  reconcile: { cron: "0 0 * * *", minAgeMs: 30_000, pendingBoundMs: 120_000, lookbackMs: 3_600_000 },
  chunkSize: 100,
  partitionsConcurrently: 3,
  poolMax: 6,
  runJobWorkers: false,
  jobRetryLimit: 1,
  paymentPolicy: DEFAULT_HTTP_POLICY,
  metricsPort: 0,
  source: "/order-service/consumer",
  ...overrides,
});

export const result = (type: string, id: string, orderId: string, data: Record<string, unknown> = {}): OutgoingRecord =>
  orderResultRecord("/test", type, id, orderId, data);

export async function send(producer: Producer, topic: string, records: OutgoingRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 1_000) await sendRecords(producer, topic, records.slice(i, i + 1_000));
}

/** Reads a topic from the beginning until `count` records arrived (or the timeout). */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const out: { key: string; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ key: message.key?.toString() ?? "", value: message.value?.toString() ?? "", headers });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
