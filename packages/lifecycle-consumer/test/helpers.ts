import { randomUUID } from "node:crypto";
import { createOrder } from "@orders/db";
import { type NewOrder, parseMoney, uuidv7 } from "@orders/domain";
import { type Kafka, type OutgoingRecord, orderResultRecord, type Producer, sendRecords } from "@orders/kafka";
import type { Pool } from "pg";

export const uniqueTopics = () => {
  const s = randomUUID().slice(0, 8);
  return { orders: `orders-${s}`, inventory: `inventory-${s}`, payments: `payments-${s}`, deliveries: `deliveries-${s}` };
};

export async function placeOrders(pool: Pool, n: number, userId = "u-1"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const order: NewOrder = {
      id: uuidv7(),
      userId,
      items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("10.00") }],
      currency: "INR",
      shippingAddress: "Bhubaneswar",
      paymentMethod: "card",
      createdAt: new Date(),
    };
    await createOrder(pool, order, { source: "/test", causedBy: "test" });
    ids.push(order.id);
  }
  return ids;
}

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
