import { claimOutboxBatch } from "@orders/db";
import { uuidv7 } from "@orders/domain";
import type { Kafka } from "@orders/kafka";
import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningRelay } from "../src/wiring.ts";
import { createTopic, insertEvents, newTopic, type ReadRecord, readTopic, startTestRelay, unpublishedCount, waitFor } from "./helpers.ts";

/*
 * Issue 10 part 4: no single open transaction stalls the relay. The claim relies on the lock
 * every writer holds on the order row while it inserts that order's outbox rows (and the
 * sequence taken under it, migration 0040), not on the database-wide xmin horizon. These tests
 * hold transactions open against the running relay and check both liveness (other orders keep
 * going out) and safety (one order's rows never go out of sequence order).
 */

const db = useFreshDatabase("relay-open-tx");
/** Writer sessions of the tests; never cut by an idle-in-transaction timeout another part sets. */
let writers: pg.Pool;

beforeAll(async () => {
  writers = new pg.Pool({ connectionString: db.url, max: 16, idle_in_transaction_session_timeout: 0, statement_timeout: 0 });
  // A session a test leaves open is cut (57P01) when the file's database is dropped: a late FATAL
  // on a test client is expected then, not an error of the run.
  writers.on("connect", (client) => client.on("error", () => {}));
  writers.on("error", () => {});
});
afterAll(async () => {
  await writers?.end();
});

async function insertOrders(ids: readonly string[]): Promise<void> {
  await db.pool.query(
    `INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method)
     SELECT id, 'u-open-tx', 1, 'EUR', 'a street', 'card' FROM unnest($1::uuid[]) AS t(id)`,
    [ids],
  );
}

const event = (aggregateId: string, n: number, id = uuidv7()) => ({
  id,
  aggregateId,
  type: "OrderConfirmed",
  payload: { orderId: aggregateId, n },
});

/** One writer transaction as the app writes: lock the order row, then insert its outbox rows. */
async function lockOrder(client: pg.PoolClient, orderId: string): Promise<void> {
  await client.query("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", [orderId]);
}

const published = async (ids: readonly string[]) => {
  const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1::uuid[]) AND published_at IS NOT NULL", [
    ids,
  ]);
  return rows[0].n as number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Small seeded PRNG (mulberry32): the writers' choices are reproducible from the printed seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The records of each key in partition offset order. */
function byKey(records: readonly ReadRecord[]): Map<string, ReadRecord[]> {
  const map = new Map<string, ReadRecord[]>();
  for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
    const list = map.get(r.key) ?? [];
    list.push(r);
    map.set(r.key, list);
  }
  return map;
}

describe("open transactions and the relay", () => {
  it("keeps publishing other orders while a transaction holding order A's row lock and an A row stays open; A's rows follow in order after it commits", async () => {
    const topic = newTopic("open-tx");
    const kafka: Kafka = await createTopic(kafkaBrokers(), topic, 1);
    const relay = await startTestRelay(db.url, topic);
    const [orderA, orderB] = [uuidv7(), uuidv7()];
    await insertOrders([orderA, orderB]);
    const slow = await writers.connect();
    const next = await writers.connect();
    try {
      const a0 = event(orderA, 0);
      await insertEvents(db.pool, [a0, event(orderB, 0)]);
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 15_000, "A0 and B0 published");

      // The old open transaction: holds A's row lock and an unpublished A row (lower sequence).
      await slow.query("BEGIN");
      await lockOrder(slow, orderA);
      const a1 = event(orderA, 1);
      await insertEvents(slow, [a1]);

      // Another writer of A queues behind it on the row lock; it will commit A2 after A1.
      const a2 = event(orderA, 2);
      await next.query("BEGIN");
      const nextWriter = (async () => {
        await lockOrder(next, orderA);
        await insertEvents(next, [a2]);
        await next.query("COMMIT");
      })();

      // Rows of B committed after the open transaction started go out meanwhile.
      const bRows = [event(orderB, 1), event(orderB, 2)];
      for (const b of bRows) {
        const w = await writers.connect();
        try {
          await w.query("BEGIN");
          await lockOrder(w, orderB);
          await insertEvents(w, [b]);
          await w.query("COMMIT");
        } finally {
          w.release();
        }
      }
      await waitFor(
        async () => (await published(bRows.map((b) => b.id))) === 2,
        15_000,
        "B's rows published while A's transaction is open",
      );
      expect(await published([a2.id])).toBe(0); // A2 is not even committed: its writer waits for A's lock.

      await slow.query("COMMIT");
      await nextWriter;
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 15_000, "A's rows published after the commit");

      const records = byKey(await readTopic(kafka, topic, (r) => r.length >= 6, 30_000));
      expect(records.get(orderA)?.map((r) => r.headers.ce_id)).toEqual([a0.id, a1.id, a2.id]);
      expect(records.get(orderB)?.map((r) => (JSON.parse(r.value) as { n: number }).n)).toEqual([0, 1, 2]);
    } finally {
      await slow.query("ROLLBACK").catch(() => {});
      slow.release();
      next.release();
      await relay.stop();
    }
  });

  it("keeps publishing past a relay stopped mid-batch, holding back only its orders' later rows until its claim ends", async () => {
    const topic = newTopic("paused-relay");
    const kafka: Kafka = await createTopic(kafkaBrokers(), topic, 1);
    const [orderA, orderB] = [uuidv7(), uuidv7()];
    await insertOrders([orderA, orderB]);
    const [a0, a1, a2, b0, b1] = [event(orderA, 0), event(orderA, 1), event(orderA, 2), event(orderB, 0), event(orderB, 1)];
    await insertEvents(db.pool, [a0, a1]);
    // A relay that claimed A's first row and then stopped (SIGSTOP, a long GC, a hung send):
    // its claim transaction stays open with the row locked.
    const paused = await writers.connect();
    await paused.query("BEGIN");
    expect((await claimOutboxBatch(paused, 1)).map((r) => r.id)).toEqual([a0.id]);
    await insertEvents(db.pool, [a2, b0, b1]);
    const relay = await startTestRelay(db.url, topic);
    try {
      await waitFor(async () => (await published([b0.id, b1.id])) === 2, 15_000, "B published past the paused claim");
      expect(await published([a0.id, a1.id, a2.id])).toBe(0); // A waits for its claimed head
      await paused.query("ROLLBACK"); // the stopped relay's connection ends
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 15_000, "A published after the claim ended");
      const records = byKey(await readTopic(kafka, topic, (r) => r.length >= 5, 30_000));
      expect(records.get(orderA)?.map((r) => r.headers.ce_id)).toEqual([a0.id, a1.id, a2.id]);
      expect(records.get(orderB)?.map((r) => r.headers.ce_id)).toEqual([b0.id, b1.id]);
    } finally {
      await paused.query("ROLLBACK").catch(() => {});
      paused.release();
      await relay.stop();
    }
  });

  it("does not stop at all for a session idle in a transaction that touches no order", async () => {
    const topic = newTopic("idle-tx");
    const kafka: Kafka = await createTopic(kafkaBrokers(), topic, 1);
    const relay = await startTestRelay(db.url, topic);
    const idle = await writers.connect();
    try {
      // An xid and a snapshot held open: this alone held pg_snapshot_xmin back for everyone.
      await idle.query("BEGIN");
      await idle.query("SELECT pg_current_xact_id()");
      const orders = [uuidv7(), uuidv7(), uuidv7()];
      await insertOrders(orders);
      const rows = orders.flatMap((o) => [event(o, 0), event(o, 1)]);
      await insertEvents(db.pool, rows);
      await waitFor(async () => (await published(rows.map((r) => r.id))) === rows.length, 15_000, "rows published past the idle session");
      const records = byKey(await readTopic(kafka, topic, (r) => r.length >= rows.length, 30_000));
      for (const o of orders) expect(records.get(o)?.map((r) => (JSON.parse(r.value) as { n: number }).n)).toEqual([0, 1]);
    } finally {
      await idle.query("ROLLBACK").catch(() => {});
      idle.release();
      await relay.stop();
    }
  });

  it("never publishes an order's rows out of sequence order while concurrent writers lock, stall, roll back and commit late", async () => {
    const seed = Number(process.env.RELAY_INTERLEAVING_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`interleaving seed ${seed} (RELAY_INTERLEAVING_SEED=${seed} reproduces the writers' choices)`);
    const ORDERS = 16;
    const WRITERS = 8;
    const TRANSACTIONS = 30;
    const topic = newTopic("interleave");
    const kafka: Kafka = await createTopic(kafkaBrokers(), topic, 3);
    // Two instances, tiny batches, two in flight each: claims constantly meet fresh commits,
    // other batches' locks and rows of writers still running.
    const overrides = { RELAY_BATCH_SIZE: "3", RELAY_CONCURRENCY: "2", RELAY_PENDING_POLL_MS: "5" };
    const relays: RunningRelay[] = [await startTestRelay(db.url, topic, overrides), await startTestRelay(db.url, topic, overrides)];
    const orders = Array.from({ length: ORDERS }, () => uuidv7());
    await insertOrders(orders);
    // Idle in a transaction for the whole run: under the old xmin rule nothing would go out.
    const idle = await writers.connect();
    await idle.query("BEGIN");
    await idle.query("SELECT pg_current_xact_id()");
    const stats = { committed: 0, rolledBack: 0, late: 0 };
    try {
      const writer = async (w: number) => {
        const rnd = seeded(seed * 31 + w);
        const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
        const client = await writers.connect();
        try {
          for (let t = 0; t < TRANSACTIONS; t++) {
            const order = pick(orders);
            await client.query("BEGIN");
            // The three ways a writer holds the order: as the consumer (FOR UPDATE), as the
            // cancel (version-checked UPDATE), or not at all before its insert (the trigger of
            // migration 0040 then takes the lock and the sequence under it).
            const mode = pick(["for-update", "update", "insert-only"] as const);
            if (mode === "for-update") await lockOrder(client, order);
            if (mode === "update") await client.query("UPDATE orders SET version = version + 1 WHERE id = $1", [order]);
            await sleep(rnd() * 15);
            for (let i = 0, inserts = 1 + Math.floor(rnd() * 2); i < inserts; i++) {
              await insertEvents(
                client,
                Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => event(order, -1)),
              );
              await sleep(rnd() * 10);
            }
            const late = rnd() < 0.1;
            if (late) stats.late++;
            await sleep(late ? 300 + rnd() * 1_200 : rnd() * 15);
            if (rnd() < 0.2) {
              await client.query("ROLLBACK");
              stats.rolledBack++;
            } else {
              await client.query("COMMIT");
              stats.committed++;
            }
          }
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 60_000, "outbox drained with the idle session still open");

      const { rows } = await db.pool.query<{ id: string; aggregateid: string }>(
        "SELECT id::text, aggregateid FROM outbox WHERE aggregateid = ANY($1::text[]) ORDER BY sequence",
        [orders],
      );
      const committedByOrder = new Map<string, string[]>();
      for (const r of rows) committedByOrder.set(r.aggregateid, [...(committedByOrder.get(r.aggregateid) ?? []), r.id]);
      const committedIds = new Set(rows.map((r) => r.id));
      const records = await readTopic(kafka, topic, (rs) => new Set(rs.map((r) => r.headers.ce_id)).size >= committedIds.size, 60_000);
      console.log(
        `writers: ${stats.committed} committed, ${stats.rolledBack} rolled back, ${stats.late} late; ${rows.length} rows, ${records.length} records`,
      );

      // Nothing that rolled back went out; per order, the first appearance of each event on the
      // topic is exactly the order's committed rows in sequence order (no gap, no swap).
      expect(records.filter((r) => !committedIds.has(r.headers.ce_id ?? ""))).toEqual([]);
      const seen = byKey(records);
      for (const order of orders) {
        const first: string[] = [];
        for (const r of seen.get(order) ?? []) if (!first.includes(r.headers.ce_id ?? "")) first.push(r.headers.ce_id ?? "");
        expect(first, `order ${order} (seed ${seed})`).toEqual(committedByOrder.get(order) ?? []);
      }
    } finally {
      await idle.query("ROLLBACK").catch(() => {});
      idle.release();
      await Promise.all(relays.map((r) => r.stop()));
    }
  });
});
