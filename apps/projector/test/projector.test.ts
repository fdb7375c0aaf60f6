import { randomBytes, randomUUID } from "node:crypto";
import { createDatabase, createPool, dropDatabase, type Pool } from "@orders/db";
import { dumpReadModel, readModelCounts } from "@orders/db/read-model";
import { createIdempotentProducer, createKafka, ensureTopics, type Producer } from "@orders/kafka";
import { createLogger } from "@orders/runtime";
import { kafkaBrokers, postgresServerUrl } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectorConfig } from "../src/config.ts";
import { type RunningProjector, startProjector } from "../src/wiring.ts";

// The projector against the real broker and a read database of its own: records on a fresh
// `orders` topic become read-model rows, a redelivery changes nothing, a gap is visible, and the
// lag is a metric and part of readiness.
const suffix = randomBytes(4).toString("hex");
const readName = `db_projector_${suffix}`;
const topic = `orders_projector_${suffix}`;
let readPool: Pool;
let producer: Producer;
let projector: RunningProjector | undefined;
let readUrl: string;

beforeAll(async () => {
  readUrl = await createDatabase(postgresServerUrl(), readName);
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "projector-test" });
  await ensureTopics(kafka, [{ topic, partitions: 3, replicationFactor: 1 }]);
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});
afterAll(async () => {
  await projector?.stop();
  await producer?.disconnect();
  await readPool?.end();
  await dropDatabase(postgresServerUrl(), readName);
});

const record = (orderId: string, sequence: number, type: string, payload: Record<string, unknown>) => ({
  key: orderId,
  value: JSON.stringify({ orderId, userId: "u-9", ...payload }),
  headers: {
    ce_specversion: "1.0",
    ce_id: randomUUID(),
    ce_type: type,
    ce_source: "/test",
    ce_time: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
    ce_subject: orderId,
    ce_sequence: String(sequence).padStart(10, "0"),
    "content-type": "application/json",
  },
});
const created = (id: string) =>
  record(id, 1, "OrderCreated", {
    items: [{ productId: "abc", quantity: 1, unitPrice: "5.00" }],
    totalAmount: "5.00",
    currency: "INR",
    shippingAddress: "x",
    paymentMethod: "card",
    createdAt: new Date().toISOString(),
  });
const changed = (id: string, sequence: number, version: number, status: string) =>
  record(id, sequence, "OrderStatusChanged", {
    status,
    previousStatus: "PENDING",
    inventoryStatus: "RESERVED",
    paymentStatus: "SUCCEEDED",
    deliveryStatus: "NOT_STARTED",
    version,
    cause: "x",
    reason: "x",
    changedAt: new Date().toISOString(),
  });

describe("projector", () => {
  it("projects orders from the topic alone, idempotently, reports gaps, lag and readiness", async () => {
    const config: ProjectorConfig = {
      readDatabaseUrl: readUrl,
      brokers: kafkaBrokers(),
      topics: { orders: topic, inventory: "i", payments: "p", deliveries: "d" },
      groupId: `projector-test-${suffix}`,
      chunkSize: 100,
      partitionsConcurrently: 3,
      readyMaxLag: 1_000,
      poolMax: 2,
      ops: { port: 0, host: "127.0.0.1" },
    };
    const [a, b] = [randomUUID(), randomUUID()];
    const first = [created(a), changed(a, 2, 2, "PENDING"), record(a, 3, "OrderConfirmed", {}), changed(a, 4, 3, "CONFIRMED"), created(b)];
    await producer.send({ topic, messages: first });
    projector = await startProjector(config, createLogger({ service: "projector-test", level: "warn" }));
    readPool = createPool({ connectionString: readUrl, max: 2 });
    await expect.poll(async () => (await readModelCounts(readPool)).events, { timeout: 60_000 }).toBe(5);
    expect((await dumpReadModel(readPool)).find((r) => r.id === a)).toMatchObject({ status: "CONFIRMED", version: 3, contiguous: 4 });

    // A redelivery of the same records and a record that skips a number (b: 1 then 3).
    await producer.send({ topic, messages: [...first, changed(b, 3, 3, "CANCELLED"), record(b, 4, "FutureEvent", { whatever: 1 })] });
    await expect.poll(async () => (await readModelCounts(readPool)).events, { timeout: 60_000 }).toBe(7);
    expect(await readModelCounts(readPool)).toEqual({ events: 7, orders: 2, ordersWithGaps: 1 });
    expect((await dumpReadModel(readPool)).find((r) => r.id === b)).toMatchObject({ status: "CANCELLED", contiguous: 1, lastSequence: 4 });

    const base = (projector.metricsUrl as string).replace(/\/metrics$/, "");
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`projection_lag_records\\{[^}]*topic="${topic}"[^}]*\\} 0`));
    expect(metrics).toMatch(/projection_events_total\{[^}]*outcome="duplicate"[^}]*\} 5/);
    expect(projector.lag()).toBe(0);
  });
});
