/**
 * Fixtures of bench/consumer, shared with bench/scale: orders inserted directly, their results
 * pre-filled on `inventory` and `payments` (10 % duplicates), a process's peak RSS.
 */
import { readFile } from "node:fs/promises";
import type { Pool } from "@orders/db";
import { uuidv7 } from "@orders/domain";
import { createIdempotentProducer, type Kafka, type OutgoingRecord, orderResultRecord, sendRecords, type TopicNames } from "@orders/kafka";
import { ManagedProcess } from "@orders/stack";

export async function insertOrders(pool: Pool, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuidv7());
  for (let i = 0; i < n; i += 10_000) {
    const chunk = ids.slice(i, i + 10_000);
    await pool.query(
      `INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method)
       SELECT id, 'bench-' || (n % 1000), 100.00, 'INR', 'Bhubaneswar', 'card' FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [chunk],
    );
    await pool.query(
      `INSERT INTO order_status_history (order_id, status, reason, caused_by) SELECT id, 'PENDING', 'order placed', 'bench' FROM unnest($1::uuid[]) AS t(id)`,
      [chunk],
    );
  }
  return ids;
}

const record = (type: string, id: string, orderId: string, data: Record<string, unknown>): OutgoingRecord =>
  orderResultRecord("/bench", type, id, orderId, data);

export async function prefill(
  kafka: Kafka,
  topics: { inventory: string; payments: string },
  ids: string[],
): Promise<{ records: number; distinct: number }> {
  const producer = createIdempotentProducer(kafka, { maxInFlightRequests: 5 });
  await producer.connect();
  const withDuplicates = (list: OutgoingRecord[]) => {
    const dup = list.filter((_, i) => i % 10 === 0); // 10 % duplicates, re-sent later in the stream
    return [...list.slice(0, Math.floor(list.length / 2)), ...dup, ...list.slice(Math.floor(list.length / 2))];
  };
  const inv = withDuplicates(ids.map((id) => record("InventoryReserved", `inv:${id}`, id, {})));
  const pay = withDuplicates(ids.map((id) => record("PaymentSuccess", `pay:${id}`, id, { paymentId: `p_${id}`, amount: "100.00" })));
  for (const [topic, list] of [
    [topics.inventory, inv],
    [topics.payments, pay],
  ] as const) {
    for (let i = 0; i < list.length; i += 5_000) await sendRecords(producer, topic, list.slice(i, i + 5_000));
  }
  await producer.disconnect();
  return { records: inv.length + pay.length, distinct: ids.length * 2 };
}

export async function peakRss(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Consumer instance `i` of a bench run: its own topics and group, no job workers, chunks of 500, 8 connections. */
export function benchConsumer(options: {
  name: string;
  databaseUrl: string;
  brokers: readonly string[];
  topics: TopicNames;
  group: string;
  /** Partitions per topic ÷ instances, rounded up. */
  partitionsConcurrently: number;
}): ManagedProcess {
  return new ManagedProcess(
    {
      name: options.name,
      script: "apps/consumer/src/main.ts",
      env: {
        DATABASE_URL: options.databaseUrl,
        KAFKA_BROKERS: options.brokers.join(","),
        ORDERS_TOPIC: options.topics.orders,
        INVENTORY_TOPIC: options.topics.inventory,
        PAYMENTS_TOPIC: options.topics.payments,
        DELIVERIES_TOPIC: options.topics.deliveries,
        CONSUMER_GROUP_ID: options.group,
        PAYMENT_URL: "http://127.0.0.1:9",
        RUN_JOB_WORKERS: "false",
        METRICS_PORT: "0",
        LOG_LEVEL: "warn",
        CONSUMER_CHUNK_SIZE: "500",
        CONSUMER_PARTITIONS_CONCURRENTLY: String(options.partitionsConcurrently),
        DATABASE_POOL_MAX: "8",
      },
    },
    "/tmp",
  );
}
