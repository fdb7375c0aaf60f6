import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPool, type Pool } from "@orders/db";
import { createKafka, ensureTopics, type Kafka, projectTopics, readTopicToEnd, sequenceOf } from "@orders/kafka";
import { type LocalKafkaCluster, startKafkaCluster } from "@orders/local-kafka";
import { freshDatabase, placeOrder, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManagedProcess } from "../src/index.ts";

// Issue 17: the relay and the consumer on a 3-broker KRaft cluster (replication factor 3,
// min.insync.replicas=2, the relay producing with acks=all) ride through the crash of the
// broker leading a busy `orders` partition. Kept CI-sized: brokers with 256 MB heaps, a few
// thousand records; every wait is on a condition with a generous bound, never on the clock.
const PARTITIONS = 6;
const ORDERS_PER_PHASE = 400;
const topics = { orders: "orders", inventory: "inventory", payments: "payments", deliveries: "deliveries" };

let db: TestDatabase;
let pool: Pool;
let cluster: LocalKafkaCluster;
let kafka: Kafka;
const processes: ManagedProcess[] = [];

beforeAll(async () => {
  [db, cluster] = await Promise.all([freshDatabase("kafka_cluster"), startKafkaCluster({ nodes: 3, heap: "256m" })]);
  pool = createPool({ connectionString: db.url, max: 4, applicationName: "kafka-cluster-test" });
  kafka = createKafka({ brokers: cluster.brokers, clientId: "kafka-cluster-test" });
  await ensureTopics(kafka, projectTopics(topics, PARTITIONS, 3));
  const logDir = await mkdtemp(join(tmpdir(), "kafka-cluster-e2e-"));
  const common = {
    KAFKA_BROKERS: cluster.bootstrap,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    KAFKA_REPLICATION_FACTOR: "3",
    LOG_LEVEL: "info",
  };
  const start = async (name: string, script: string, env: Record<string, string>) => {
    const p = new ManagedProcess({ name, script, env: { ...common, ...env } }, logDir);
    processes.push(p);
    await p.start(120_000);
  };
  // Every reservation fails, so each order runs OrderCreated → InventoryFailure → OrderCancelled
  // through relay, inventory service and consumer without a payment service.
  await start("inventory", "devkit/simulators/src/inventory-events/main.ts", {
    PORT: "0",
    INVENTORY_RESERVE_FAILURE_RATE: "1",
    INVENTORY_MIN_DELAY_MS: "0",
    INVENTORY_MAX_DELAY_MS: "5",
  });
  await start("relay", "apps/relay/src/main.ts", { DATABASE_URL: db.url, METRICS_PORT: "0", HOST: "127.0.0.1" });
  await start("consumer", "apps/consumer/src/main.ts", {
    DATABASE_URL: db.url,
    METRICS_PORT: "0",
    PAYMENT_URL: "http://127.0.0.1:9",
  });
}, 300_000);

afterAll(async () => {
  const unclean: string[] = [];
  for (const p of processes.reverse()) {
    if (!p.running) continue;
    const code = await p.stop("SIGTERM");
    if (code !== 0) unclean.push(`${p.spec.name} exited ${code}`);
    p.close();
  }
  await pool?.end();
  await cluster?.stop();
  await db?.drop();
  expect(unclean).toEqual([]);
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    for (const p of processes)
      console.error(`── ${p.spec.name} (${p.running ? "running" : "not running"})`, ...p.unexpectedExits, await p.tail(40));
  });
});

const count = async (sql: string): Promise<number> => Number((await pool.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
const cancelled = () => count("SELECT count(*) AS n FROM orders WHERE status = 'CANCELLED'");
const unpublished = () => count("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL");
const placeMany = async (n: number) => {
  for (let i = 0; i < n; i++) await placeOrder(pool, { userId: `cluster-${i % 50}` });
};
const poll = { timeout: 240_000, interval: 250 };

async function leaderOf(topic: string, partition: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = meta[0]?.partitions.find((x) => x.partitionId === partition);
    if (!p || p.leader < 0) throw new Error(`no leader for ${topic}/${partition}`);
    return p.leader;
  } finally {
    await admin.disconnect();
  }
}

describe("relay and consumer on a 3-broker cluster", () => {
  it("lose nothing and keep per-order order when the leader of a busy partition crashes and comes back", async () => {
    expect(cluster.replicationFactor).toBe(3);
    expect(cluster.minInsyncReplicas).toBe(2);

    // Phase 1: traffic flows.
    await placeMany(ORDERS_PER_PHASE);
    await expect.poll(cancelled, poll).toBeGreaterThanOrEqual(ORDERS_PER_PHASE / 2);

    // Phase 2: SIGKILL the broker leading orders/0 while the pipeline is busy, and keep placing
    // orders: with two of three replicas in sync, acks=all writes still succeed.
    const victim = await leaderOf(topics.orders, 0);
    await cluster.node(victim).kill();
    await placeMany(ORDERS_PER_PHASE);
    await expect.poll(cancelled, poll).toBeGreaterThanOrEqual(ORDERS_PER_PHASE + ORDERS_PER_PHASE / 2);
    expect(await leaderOf(topics.orders, 0)).not.toBe(victim);

    // Phase 3: the broker comes back, catches up and rejoins every ISR; traffic goes on.
    await cluster.node(victim).restart();
    await placeMany(ORDERS_PER_PHASE);
    await cluster.waitUntilInSync({ topics: [topics.orders, topics.inventory], timeoutMs: 240_000 });

    // Every order went the whole way (the consumer carried on) and every event left the outbox
    // (the relay carried on).
    await expect.poll(cancelled, poll).toBe(3 * ORDERS_PER_PHASE);
    await expect.poll(unpublished, poll).toBe(0);
    for (const p of processes)
      expect({ name: p.spec.name, running: p.running, crashes: p.unexpectedExits }).toEqual({
        name: p.spec.name,
        running: true,
        crashes: [],
      });

    // Nothing lost, order kept: every outbox row is on `orders`, and per order key the
    // ce_sequence numbers arrive 1, 2, 3 … in offset order (a re-sent duplicate may repeat a
    // number already seen, never skip one).
    const rows = (
      await pool.query<{ id: string; aggregateid: string; n: string }>("SELECT id, aggregateid, aggregate_sequence AS n FROM outbox")
    ).rows;
    const records = await readTopicToEnd(kafka, topics.orders);
    const ids = new Set(records.map((r) => r.headers.ce_id));
    expect(rows.filter((r) => !ids.has(r.id))).toEqual([]);

    const last = new Map<string, number>();
    const outOfOrder: string[] = [];
    for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))) {
      const key = r.key ?? "";
      const seq = sequenceOf(r.headers);
      const seen = last.get(key) ?? 0;
      if (seq === undefined || seq > seen + 1) outOfOrder.push(`${key}: ${seq} after ${seen}`);
      else if (seq === seen + 1) last.set(key, seq);
    }
    expect(outOfOrder).toEqual([]);
    const expected = new Map<string, number>();
    for (const r of rows) expected.set(r.aggregateid, Math.max(expected.get(r.aggregateid) ?? 0, Number(r.n)));
    expect(last).toEqual(expected);
    expect(records.length).toBeGreaterThanOrEqual(rows.length);
  });
});
