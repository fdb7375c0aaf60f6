import { readFile } from "node:fs/promises";
import { createPool, type Pool } from "@orders/db";
import { uuidv7 } from "@orders/domain";
import { createIdempotentProducer, createKafka, ensureTopics, orderResultRecord, projectTopics, sendRecords } from "@orders/kafka";
import { freshDatabase, kafkaBrokers, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManagedProcess, nodeOptionsOf } from "../src/index.ts";

// Issue 17 item 4: the relay and the consumer run with the heap bounds of their node-options
// files (as the image starts them) and bounded fetches, and carry a burst under those bounds:
// no out-of-memory exit, and a peak RSS far below the ~370 / ~480 MB they reached unbounded.
const EVENTS = 20_000;
const ORDERS = EVENTS / 2;
const RSS_BOUND_MB = 200;
const ns = `-mem-${Date.now()}`;
const topics = { orders: `orders${ns}`, inventory: `inventory${ns}`, payments: `payments${ns}`, deliveries: `deliveries${ns}` };

let db: TestDatabase;
let pool: Pool;
const processes: ManagedProcess[] = [];

const peakRssMb = async (pid: number | undefined): Promise<number> => {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};
const count = async (sql: string): Promise<number> => Number((await pool.query<{ n: string }>(sql)).rows[0]?.n ?? 0);

beforeAll(async () => {
  db = await freshDatabase("memory");
  pool = createPool({ connectionString: db.url, max: 4, applicationName: "memory-test" });
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "memory-test" });
  await ensureTopics(kafka, projectTopics(topics, 6));
  // A backlog for the relay: EVENTS outbox rows over 2 000 orders (test-only SQL).
  await pool.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
     SELECT gen_random_uuid(), 'order', ('00000000-0000-7000-8000-' || lpad(to_hex(g % 2000), 12, '0')), 'OrderCreated',
            jsonb_build_object('orderId', g, 'pad', repeat('x', 200)), '/memory-test', '2026-01-01T00:00:00.000Z'
       FROM generate_series(1, $1::int) AS g`,
    [EVENTS],
  );
  // And one for the consumer: ORDERS orders, an InventoryReserved and a PaymentSuccess each.
  const ids = Array.from({ length: ORDERS }, () => uuidv7());
  await pool.query(
    `INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method)
     SELECT id, 'mem-' || (n % 100), 100.00, 'INR', 'Bhubaneswar', 'card' FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
    [ids],
  );
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const results = (type: string, data: (id: string) => Record<string, unknown>) =>
    ids.map((id) => orderResultRecord("/memory-test", type, `${type}:${id}`, id, data(id)));
  for (const [topic, records] of [
    [topics.inventory, results("InventoryReserved", () => ({}))],
    [topics.payments, results("PaymentSuccess", (id) => ({ paymentId: `p_${id}`, amount: "100.00" }))],
  ] as const) {
    for (let i = 0; i < records.length; i += 2_000) await sendRecords(producer, topic, records.slice(i, i + 2_000));
  }
  await producer.disconnect();
}, 300_000);

afterAll(async () => {
  for (const p of processes) {
    if (p.running) await p.stop("SIGTERM");
    p.close();
  }
  await pool?.end();
  await db?.drop();
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    for (const p of processes) console.error(`── ${p.spec.name}`, ...p.unexpectedExits, await p.tail(30));
  });
});

describe("memory bounds of the relay and the consumer", () => {
  it("start with their node-options heap bounds", () => {
    for (const app of ["apps/relay/src/main.ts", "apps/consumer/src/main.ts"]) {
      expect(nodeOptionsOf(app)).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
    }
  });

  it("carry a burst under those bounds with a bounded peak RSS", async () => {
    const common = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(","),
      ORDERS_TOPIC: topics.orders,
      INVENTORY_TOPIC: topics.inventory,
      PAYMENTS_TOPIC: topics.payments,
      DELIVERIES_TOPIC: topics.deliveries,
      KAFKA_TOPIC_PARTITIONS: "6",
      METRICS_PORT: "0",
      LOG_LEVEL: "warn",
    };
    const relay = new ManagedProcess(
      { name: `relay${ns}`, script: "apps/relay/src/main.ts", env: { ...common, HOST: "127.0.0.1" } },
      "/tmp",
    );
    const consumer = new ManagedProcess(
      {
        name: `consumer${ns}`,
        script: "apps/consumer/src/main.ts",
        env: {
          ...common,
          CONSUMER_GROUP_ID: `memory${ns}`,
          PAYMENT_URL: "http://127.0.0.1:9",
          RUN_JOB_WORKERS: "false",
          CONSUMER_CHUNK_SIZE: "500",
          CONSUMER_PARTITIONS_CONCURRENTLY: "6",
        },
      },
      "/tmp",
    );
    processes.push(relay, consumer);
    await Promise.all([relay.start(120_000), consumer.start(120_000)]);
    for (const p of processes) {
      const cmdline = (await readFile(`/proc/${p.pid}/cmdline`, "utf8")).split("\0");
      expect(cmdline).toEqual(expect.arrayContaining(nodeOptionsOf(p.spec.script)));
    }

    const poll = { timeout: 300_000, interval: 250 };
    await expect.poll(() => count("SELECT count(*) AS n FROM processed_messages"), poll).toBe(EVENTS);
    await expect.poll(() => count("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"), poll).toBe(0);

    for (const p of processes)
      expect({ name: p.spec.name, running: p.running, crashes: p.unexpectedExits }).toEqual({
        name: p.spec.name,
        running: true,
        crashes: [],
      });
    const rss = { relay: await peakRssMb(relay.pid), consumer: await peakRssMb(consumer.pid) };
    console.info(`peak RSS under the burst: relay ${rss.relay.toFixed(0)} MB, consumer ${rss.consumer.toFixed(0)} MB`);
    expect(rss.relay).toBeLessThan(RSS_BOUND_MB);
    expect(rss.consumer).toBeLessThan(RSS_BOUND_MB);
  });
});
