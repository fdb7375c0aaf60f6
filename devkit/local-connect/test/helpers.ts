import { randomBytes } from "node:crypto";
import { createOrder, sql, withTransaction } from "@orders/db";
import {
  adjustmentPayload,
  attemptKey,
  type NewOrder,
  ORDER_AGGREGATE,
  ORDER_STATUS_CHANGED,
  orderCancelledPayload,
  orderConfirmedPayload,
  orderStatusChangedPayload,
  parseMoney,
  paymentActionRequiredPayload,
  paymentAttemptStartedPayload,
  uuidv7,
} from "@orders/domain";
import { createKafka, createRecordSender, ensureTopics, type OutboxEventSource } from "@orders/kafka";
import { createPublisher, drainBatch } from "@orders/outbox-relay";
import { buildCallPolicy, createLogger } from "@orders/runtime";
import type pg from "pg";

export const uniqueName = (label: string) => `${label}_${randomBytes(4).toString("hex")}`;

export type SeenRecord = {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** Header name/value pairs in wire order; values as UTF-8 text, or null for a null header. */
  headers: [string, string | null][];
  /** Broker timestamp (ms). */
  timestamp: number;
};

export async function createTopic(brokers: string[], topic: string, partitions = 3, config?: Record<string, string>) {
  await ensureTopics(createKafka({ brokers, clientId: "local-connect-test", logLevel: "nothing" }), [
    { topic, partitions, ...(config ? { config } : {}) },
  ]);
}

/** Reads `topic` from the beginning until `done(records)` holds or the timeout passes. */
export async function readTopic(
  brokers: string[],
  topic: string,
  done: (records: SeenRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<SeenRecord[]> {
  const kafka = createKafka({ brokers, clientId: "local-connect-reader", logLevel: "nothing" });
  const consumer = kafka.consumer({ groupId: uniqueName("reader"), maxWaitTimeInMs: 100 });
  const records: SeenRecord[] = [];
  if (done(records)) return records;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} records of ${topic} before the timeout`)), timeoutMs);
      void consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            const headers: [string, string | null][] = [];
            for (const [name, raw] of Object.entries(message.headers ?? {})) {
              for (const v of Array.isArray(raw) ? raw : [raw]) headers.push([name, v === undefined || v === null ? null : v.toString()]);
            }
            records.push({
              topic: t,
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers,
              timestamp: Number(message.timestamp),
            });
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return records;
}

export const ceId = (r: SeenRecord) => r.headers.find(([k]) => k === "ce_id")?.[1] ?? null;

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** An order as the API would write it (prices already quoted). */
export function newOrder(i: number): NewOrder {
  return {
    id: uuidv7(),
    userId: `user-${i % 3}`,
    items: [
      { productId: "sku:1", quantity: 1 + (i % 4), unitPrice: parseMoney("19.90") },
      { productId: "sku.2_b-c", quantity: 2, unitPrice: parseMoney("0.05") },
    ],
    currency: "EUR",
    shippingAddress: `Straße ${i}, "quoted" \\ backslash, 東京`,
    paymentMethod: "card",
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  };
}

/**
 * One order's life in the outbox, the way the services write it: OrderCreated through the
 * API's repository, then OrderConfirmed and/or OrderCancelled rows in later transactions.
 * Every other order carries a traceparent, so both the header and its absence are covered.
 */
export async function writeOrderEvents(pool: pg.Pool, i: number, source = "/order-service/api"): Promise<string> {
  const order = newOrder(i);
  const traceparent = i % 2 === 0 ? TRACEPARENT : null;
  await createOrder(pool, order, { source, traceparent, causedBy: `request-${i}` });
  const follow = async (type: string, payload: unknown) =>
    withTransaction(pool, async (client) => {
      const q = sql.insertOutboxEvent({
        id: uuidv7(),
        aggregateType: ORDER_AGGREGATE,
        aggregateId: order.id,
        type,
        payload,
        source: "/order-service/consumer",
        time: new Date().toISOString(),
        traceparent,
      });
      await client.query(q.text, q.values as unknown[]);
    });
  const at = new Date(Date.UTC(2026, 0, 1, 1, 0, i));
  // Issue 15: a step without an event of its own (here the reservation) as OrderStatusChanged.
  const reserved = { status: "PENDING", inventoryStatus: "RESERVED", paymentStatus: "PENDING", deliveryStatus: "NOT_STARTED" } as const;
  await follow(
    ORDER_STATUS_CHANGED,
    orderStatusChangedPayload(
      { id: order.id, userId: order.userId, state: reserved, version: 2 },
      { cause: "InventoryReserved", previousStatus: "PENDING", reason: "inventory reserved; payment initiated" },
      at,
    ),
  );
  if (i % 3 !== 2)
    await follow(
      "OrderConfirmed",
      orderConfirmedPayload({ id: order.id, userId: order.userId, totalAmount: "39.90", currency: "EUR" }, at),
    );
  if (i % 3 === 1) {
    const shipped = { status: "SHIPPED", inventoryStatus: "RESERVED", paymentStatus: "SUCCEEDED", deliveryStatus: "SHIPPED" } as const;
    await follow(
      ORDER_STATUS_CHANGED,
      orderStatusChangedPayload(
        { id: order.id, userId: order.userId, state: shipped, version: 4 },
        { cause: "OrderShipped", previousStatus: "CONFIRMED", reason: "shipped" },
        at,
      ),
    );
  }
  // Issue 14's payment events on the orders that are never confirmed: a decline waiting for the
  // customer, and the attempt the customer then started.
  if (i % 3 === 2) {
    const head = { id: order.id, userId: order.userId, totalAmount: "39.90", currency: "EUR", state: reserved };
    const declined = {
      number: 1,
      method: "card" as const,
      idempotencyKey: attemptKey(order.id, 1),
      status: "FAILED" as const,
      origin: "initial" as const,
      amount: parseMoney("39.90"),
      failureReason: "card declined",
      retryable: false,
      startedAt: at.toISOString(),
      decidedAt: at.toISOString(),
    };
    const facts = { method: "card" as const, attempts: [declined] };
    await follow("PaymentActionRequired", paymentActionRequiredPayload(head, facts, "card declined", at.toISOString(), at));
    const retried = { ...declined, number: 2, method: "upi" as const, idempotencyKey: attemptKey(order.id, 2), status: "STARTED" as const };
    await follow(
      "PaymentAttemptStarted",
      paymentAttemptStartedPayload(head, { ...facts, attempts: [declined, { ...retried, origin: "customer" as const }] }, at),
    );
  }
  if (i % 3 !== 0)
    await follow("OrderCancelled", orderCancelledPayload({ id: order.id, userId: order.userId }, "changed my mind", i % 3 === 1, at));
  // Issue 13's events (nested arrays, a null field) through the same outbox: a partial cancel and
  // its refund on confirmed orders, a return receipt on some.
  if (i % 3 === 0) {
    const o = { id: order.id, userId: order.userId, currency: "EUR" };
    const lines = [{ productId: "p-1", quantity: 1 }];
    await follow(
      "OrderLinesCancelled",
      adjustmentPayload(o, { type: "OrderLinesCancelled", lines, amount: parseMoney("19.95"), reason: "one less" }, at),
    );
    await follow(
      "RefundRequested",
      adjustmentPayload(o, { type: "RefundRequested", refundId: `refund:c-${i}`, amount: parseMoney("19.95"), reason: "cancelled" }, at),
    );
    if (i % 2 === 0)
      await follow(
        "ReturnReceived",
        adjustmentPayload(
          o,
          {
            type: "ReturnReceived",
            returnId: uuidv7(),
            lines: [{ productId: "p-1", received: 0, damaged: 1 }],
            restock: [],
            restockId: null,
          },
          at,
        ),
      );
  }
  return order.id;
}

/** The outbox rows as the relay reads them (payload::text and the CloudEvents columns). */
export async function readOutbox(pool: pg.Pool): Promise<OutboxEventSource[]> {
  const { rows } = await pool.query(
    `SELECT id, aggregateid AS "aggregateId", type, payload::text AS payload, ce_specversion AS "specVersion",
            ce_source AS source, ce_time AS time, ce_sequence AS "ceSequence", content_type AS "contentType", traceparent
       FROM outbox ORDER BY outbox.sequence`,
  );
  return rows as OutboxEventSource[];
}

/**
 * The relay's own drain (apps/relay's `drainBatch`: claim, send with acks=all, mark published)
 * with one producer: `drainAll` drains until nothing is left and returns the rows published.
 */
export async function createRelayDrainer(brokers: string[], topic: string, batchSize = 500) {
  const sender = createRecordSender({ brokers, clientId: "relay-under-test" });
  await sender.connect(topic);
  const { policy, breaker } = buildCallPolicy({
    timeoutMs: 30_000,
    retries: 2,
    initialDelayMs: 100,
    maxDelayMs: 1_000,
    breakerThreshold: 5,
    halfOpenAfterMs: 1_000,
  });
  const publisher = createPublisher({ sender, topic, policy, breaker, halfOpenAfterMs: 1_000 });
  const logger = createLogger({ service: "relay-under-test", level: "warn" });
  return {
    drainAll: async (pool: pg.Pool): Promise<number> => {
      let published = 0;
      for (;;) {
        const result = await drainBatch({ pool, publisher, batchSize, maxAttempts: 5, logger });
        if (result.error) throw result.error;
        if (result.claimed === 0) return published;
        published += result.published;
      }
    },
    close: () => sender.close(),
  };
}

export async function relayDrainAll(pool: pg.Pool, brokers: string[], topic: string): Promise<number> {
  const drainer = await createRelayDrainer(brokers, topic);
  try {
    return await drainer.drainAll(pool);
  } finally {
    await drainer.close();
  }
}
