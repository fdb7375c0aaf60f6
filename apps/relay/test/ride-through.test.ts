import { randomUUID } from "node:crypto";
import { createOrder, createPool, migrate, type Pool } from "@orders/db";
import { parseMoney, uuidv7 } from "@orders/domain";
import {
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  orderResultRecord,
  type Producer,
  projectTopics,
  sendRecords,
  type TopicNames,
} from "@orders/kafka";
import { type LocalKafka, startKafka } from "@orders/local-kafka";
import { type LocalPostgres, startLocalPostgres } from "@orders/local-postgres";
import { kafkaBrokers } from "@orders/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, hs256Token, type Service, startQuoteStub, startService, statusOf } from "./support/services.ts";

/*
 * Issue 10 part 5: api, relay and consumer ride through a PostgreSQL restart (immediate mode:
 * every session cut, as in a crash) and a broker restart — no process exits, /readyz says
 * not-ready meanwhile and ready after, the API answers 503 problem+json (never 500), and an
 * order placed afterwards flows through. Each test has its own PostgreSQL (and the broker test
 * its own broker): stopping the shared ones would break every other test file.
 */
const SECRET = "ride-through-secret-at-least-32-characters";
let pg: LocalPostgres;
let inventory: Awaited<ReturnType<typeof startQuoteStub>>;
let services: Service[] = [];

beforeAll(async () => {
  // Durable: an immediate stop is a crash, and the fast default (fsync and synchronous_commit
  // off) may lose transactions committed just before it — an order created before the outage
  // then vanished and its result was dead-lettered UNKNOWN_ORDER (a CI run).
  pg = await startLocalPostgres({ durable: true });
  inventory = await startQuoteStub();
});
afterEach(async (context) => {
  if (context.task.result?.state === "fail") for (const s of services) console.error(s.tail());
  await Promise.all(services.map((s) => s.terminate()));
  services = [];
});
afterAll(async () => {
  await inventory?.close();
  await pg?.stop();
});

const topicsFor = (label: string): TopicNames => {
  const s = `${label}-${randomUUID().slice(0, 8)}`;
  return { orders: `orders-${s}`, inventory: `inventory-${s}`, payments: `payments-${s}`, deliveries: `deliveries-${s}` };
};

async function freshDatabase(name: string): Promise<{ url: string; pool: Pool }> {
  const admin = createPool({ connectionString: pg.url, max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = pg.urlFor(name);
  await migrate(url);
  return { url, pool: createPool({ connectionString: url, max: 2 }) };
}

/** relay + consumer (+ api) on the given database and broker, fast loops, all on port 0. */
async function startApps(databaseUrl: string, brokers: readonly string[], topics: TopicNames, withApi: boolean) {
  const common = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(","),
    ORDERS_TOPIC: topics.orders,
    INVENTORY_TOPIC: topics.inventory,
    PAYMENTS_TOPIC: topics.payments,
    DELIVERIES_TOPIC: topics.deliveries,
    LOG_LEVEL: "info",
  };
  const relay = await startService("relay", {
    ...common,
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
    KAFKA_CLIENT_ID: `relay-${randomUUID().slice(0, 8)}`,
    RELAY_SWEEP_INTERVAL_MS: "200",
    RELAY_SEND_TIMEOUT_MS: "5000",
    RELAY_BREAKER_HALF_OPEN_MS: "1000",
    RELAY_MAX_BACKOFF_MS: "1000",
  });
  services.push(relay);
  const consumer = await startService("consumer", {
    ...common,
    PAYMENT_URL: "http://127.0.0.1:9",
    CONSUMER_GROUP_ID: `consumer-${randomUUID().slice(0, 8)}`,
    METRICS_PORT: "0",
    PENDING_DEADLINE_MS: "3600000",
    DEADLINE_SWEEP_CRON: "0 0 * * *",
  });
  services.push(consumer);
  let api: Service | undefined;
  if (withApi) {
    api = await startService("api", {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      INVENTORY_URL: inventory.url,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    });
    services.push(api);
  }
  return { relay, consumer, api };
}

const postOrder = (apiUrl: string, key: string) =>
  fetch(`${apiUrl}/api/orders`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${hs256Token(SECRET, { sub: "rider" })}`,
      "content-type": "application/json",
      "idempotency-key": key,
    },
    body: JSON.stringify({ userId: "rider", items: [{ productId: "abc", quantity: 1 }], shippingAddress: "Puri", paymentMethod: "card" }),
    signal: AbortSignal.timeout(30_000),
  });

const published = async (pool: Pool, orderId: string) => {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE aggregateid = $1 AND published_at IS NOT NULL",
    [orderId],
  );
  return (rows[0]?.n ?? 0) > 0;
};
const inventoryStatus = async (pool: Pool, orderId: string) => {
  const { rows } = await pool.query<{ s: string }>("SELECT inventory_status AS s FROM orders WHERE id = $1", [orderId]);
  return rows[0]?.s;
};
const reserve = (producer: Producer, topic: string, orderId: string) =>
  sendRecords(producer, topic, [orderResultRecord("/ride-through-test", "InventoryReserved", uuidv7(), orderId)]);
const readyz = (s: Service) => statusOf(`${s.url}/readyz`);
const alive = (list: readonly Service[]) =>
  Object.fromEntries(list.map((s) => [s.name, s.running() ? "running" : `exited ${s.exitCode()}`]));
const allRunning = (list: readonly Service[]) => Object.fromEntries(list.map((s) => [s.name, "running"]));

describe("riding through outages", () => {
  it("keeps api, relay and consumer running through a PostgreSQL restart in immediate mode; 503 problem+json meanwhile", async () => {
    const db = await freshDatabase("pg_restart");
    const brokers = kafkaBrokers();
    const topics = topicsFor("pgr");
    const kafka = createKafka({ brokers, clientId: "ride-through-test", logLevel: "nothing" });
    await ensureTopics(kafka, projectTopics(topics, 2));
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      const { relay, consumer, api } = await startApps(db.url, brokers, topics, true);
      const apiUrl = (api as Service).url;
      for (const s of services) await eventually(`${s.name} ready`, async () => (await readyz(s)) === 200);

      // Before: an order flows (API → outbox → relay) and the consumer applies a result.
      const before = await postOrder(apiUrl, "before");
      expect(before.status).toBe(201);
      const orderA = ((await before.json()) as { id: string }).id;
      const second = await postOrder(apiUrl, "before-2");
      expect(second.status).toBe(201);
      const orderB = ((await second.json()) as { id: string }).id;
      await eventually("order A published", () => published(db.pool, orderA));
      await reserve(producer, topics.inventory, orderA);
      await eventually("order A reserved", async () => (await inventoryStatus(db.pool, orderA)) === "RESERVED");

      await pg.stopImmediate();
      // A result arriving during the outage must be applied once the database is back.
      await reserve(producer, topics.inventory, orderB);
      const statuses: number[] = [];
      const problems: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await postOrder(apiUrl, `during-${i}`);
        statuses.push(res.status);
        problems.push(`${res.headers.get("content-type")} retry-after=${res.headers.get("retry-after")}`);
        await res.body?.cancel();
        const read = await fetch(`${apiUrl}/api/orders/${orderA}`, {
          headers: { authorization: `Bearer ${hs256Token(SECRET, { sub: "rider" })}` },
        });
        statuses.push(read.status);
        await read.body?.cancel();
        await new Promise((r) => setTimeout(r, 250));
      }
      expect.soft(new Set(statuses)).toEqual(new Set([503]));
      expect.soft(new Set(problems.filter((_, i) => statuses[i * 2] === 503))).toEqual(new Set(["application/problem+json retry-after=1"]));
      for (const s of [relay, consumer, api as Service]) {
        await eventually(`${s.name} not ready during the outage`, async () => !s.running() || (await readyz(s)) === 503);
      }
      expect.soft(alive(services)).toEqual(allRunning(services));

      await pg.restart();
      for (const s of services) await eventually(`${s.name} ready again`, async () => !s.running() || (await readyz(s)) === 200);
      expect(alive(services)).toEqual(allRunning(services));

      // After: a new order flows, and the result sent during the outage was applied.
      const after = await postOrder(apiUrl, "after");
      expect(after.status).toBe(201);
      const orderC = ((await after.json()) as { id: string }).id;
      await eventually("order C published", () => published(db.pool, orderC));
      // The consumer waits out the outage with capped backoff: allow it more polls than the rest.
      await eventually("order B reserved", async () => (await inventoryStatus(db.pool, orderB)) === "RESERVED", 600);
      expect(alive(services)).toEqual(allRunning(services));
      for (const s of [...services]) expect(await s.terminate(), `${s.name} exit code after SIGTERM`).toBe(0);
    } finally {
      await producer.disconnect();
      await db.pool.end();
    }
  }, 240_000);

  it("keeps relay and consumer running through a broker restart; not ready meanwhile, draining after", async () => {
    const db = await freshDatabase("broker_restart");
    const broker: LocalKafka = await startKafka({ partitions: 2 });
    const topics = topicsFor("kr");
    const kafka = createKafka({ brokers: broker.brokers, clientId: "ride-through-test", logLevel: "nothing" });
    await ensureTopics(kafka, projectTopics(topics, 2));
    const producer = createIdempotentProducer(kafka);
    try {
      await producer.connect();
      const { relay, consumer } = await startApps(db.url, broker.brokers, topics, false);
      for (const s of services) await eventually(`${s.name} ready`, async () => (await readyz(s)) === 200);

      const [orderA, orderB] = await placeOrders(db.pool, 2);
      await eventually("order A published", () => published(db.pool, orderA as string));

      await broker.kill();
      const [orderC] = await placeOrders(db.pool, 1);
      for (const s of [relay, consumer]) {
        await eventually(`${s.name} not ready during the outage`, async () => !s.running() || (await readyz(s)) === 503);
      }
      expect.soft(alive(services)).toEqual(allRunning(services));
      expect(await published(db.pool, orderC as string)).toBe(false);

      await broker.restart();
      for (const s of services) await eventually(`${s.name} ready again`, async () => !s.running() || (await readyz(s)) === 200);
      expect(alive(services)).toEqual(allRunning(services));
      await eventually("order C published after the restart", () => published(db.pool, orderC as string));
      await reserve(producer, topics.inventory, orderB as string);
      await eventually("order B reserved", async () => (await inventoryStatus(db.pool, orderB as string)) === "RESERVED");
      expect(alive(services)).toEqual(allRunning(services));
      for (const s of [...services]) expect(await s.terminate(), `${s.name} exit code after SIGTERM`).toBe(0);
    } finally {
      await producer.disconnect().catch(() => {});
      await db.pool.end();
      await broker.stop();
    }
  }, 300_000);
});

async function placeOrders(pool: Pool, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = uuidv7();
    await createOrder(
      pool,
      {
        id,
        userId: "rider",
        items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("10.00") }],
        currency: "INR",
        shippingAddress: "Puri",
        paymentMethod: "card",
        createdAt: new Date(),
      },
      { source: "/ride-through-test", causedBy: "test" },
    );
    ids.push(id);
  }
  return ids;
}
