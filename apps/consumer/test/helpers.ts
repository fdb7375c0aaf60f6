import { randomUUID } from "node:crypto";
import { type Kafka, type OutgoingRecord, orderResultRecord, type Producer, sendRecords } from "@orders/kafka";

export const uniqueTopics = () => {
  const s = randomUUID().slice(0, 8);
  return { orders: `orders-${s}`, inventory: `inventory-${s}`, payments: `payments-${s}`, deliveries: `deliveries-${s}` };
};

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
