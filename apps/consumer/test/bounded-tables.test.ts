import { deleteExpiredIdempotencyKeys, withTransaction } from "@orders/db";
import { applyEvents, type PgBoss, pruneProcessedMessages, QUEUES, startSagaBoss } from "@orders/lifecycle";
import { runRetention } from "@orders/outbox-relay";
import { freshDatabase, placeOrders, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * Every table that grows with traffic has one retention chore, and under steady load its size
 * settles at (rows per day) × (its window): each simulated day below inserts a day's rows, moves
 * every timestamp one day into the past, runs the chore, and the count stays the same.
 */

let db: TestDatabase;
let boss: PgBoss;
const DAYS = 10;
const PER_DAY = 20;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  db = await freshDatabase("bounded");
  boss = await startSagaBoss({ connectionString: db.url, max: 2, supervise: false, schedule: false });
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: true });
  await db?.drop();
});

const count = async (sql: string): Promise<number> => (await db.pool.query(sql)).rows[0].n;

/** Runs `days` simulated days (1, 2, …): insert a day's rows, age everything by one day, run the chore; returns the sizes after each chore. */
async function steadyLoad(
  days: number,
  insertDay: (day: number) => Promise<void>,
  ageOneDay: () => Promise<void>,
  chore: () => Promise<unknown>,
  size: () => Promise<number>,
) {
  const sizes: number[] = [];
  for (let d = 0; d < days; d++) {
    await insertDay(d + 1);
    await ageOneDay();
    await chore();
    sizes.push(await size());
  }
  return sizes;
}

describe("every growing table is bounded under steady load", () => {
  it("outbox: published rows leave after RELAY_RETENTION_SECONDS; unpublished and parked rows stay", async () => {
    const unpublished = await placeOrders(db.pool, 3); // three rows never published, which retention never touches
    const sizes = await steadyLoad(
      DAYS,
      async () => {
        await placeOrders(db.pool, PER_DAY);
        await db.pool.query("UPDATE outbox SET published_at = now() WHERE published_at IS NULL AND aggregateid <> ALL($1::text[])", [
          unpublished,
        ]);
      },
      async () =>
        void (await db.pool.query(
          "UPDATE outbox SET published_at = published_at - interval '1 day', created_at = created_at - interval '1 day' WHERE published_at IS NOT NULL",
        )),
      () => runRetention(db.pool, 3 * 86_400 + 3_600, { batchSize: 7 }),
      () => count("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL"),
    );
    // Published 1, 2 and 3 days ago are kept (3-day window), older ones are gone.
    expect(sizes.slice(3)).toEqual(Array(DAYS - 3).fill(3 * PER_DAY));
    expect(await count("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL")).toBe(3);
  });

  it("idempotency_keys: the API's sweep deletes keys past expires_at", async () => {
    const sizes = await steadyLoad(
      DAYS,
      async (day) => {
        await db.pool.query(
          `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, expires_at)
           SELECT 'u', 'k-' || $1::int || '-' || g, 'f', now() + interval '36 hours' FROM generate_series(1, $2::int) g`,
          [day, PER_DAY],
        );
      },
      async () =>
        void (await db.pool.query(
          "UPDATE idempotency_keys SET created_at = created_at - interval '1 day', expires_at = expires_at - interval '1 day'",
        )),
      () => deleteExpiredIdempotencyKeys(db.pool, { batchSize: 7 }),
      () => count("SELECT count(*)::int AS n FROM idempotency_keys"),
    );
    // Keys living 36 hours: after each day only the newest day's keys are left.
    expect(sizes).toEqual(Array(DAYS).fill(PER_DAY));
    await db.pool.query(
      "INSERT INTO idempotency_keys (user_id, key, request_fingerprint, expires_at) VALUES ('u', 'fresh', 'f', now() + interval '1 hour')",
    );
    await deleteExpiredIdempotencyKeys(db.pool);
    expect(await count("SELECT count(*)::int AS n FROM idempotency_keys")).toBe(PER_DAY + 1);
  });

  it("processed_messages: the consumer's retention job forgets message ids older than its window, keeps the rest", async () => {
    await db.pool.query("DELETE FROM processed_messages");
    const retentionMs = 4 * DAY_MS;
    const sizes = await steadyLoad(
      DAYS,
      async (day) => {
        await db.pool.query(
          "INSERT INTO processed_messages (consumer, message_id) SELECT 'c', 'm-' || $1::int || '-' || g FROM generate_series(1, $2::int) g",
          [day, PER_DAY],
        );
      },
      async () => void (await db.pool.query("UPDATE processed_messages SET processed_at = processed_at - interval '1 day'")),
      () => pruneProcessedMessages(db.pool, { retentionMs: retentionMs - 3_600_000, batchSize: 7 }),
      () => count("SELECT count(*)::int AS n FROM processed_messages"),
    );
    expect(sizes.slice(3)).toEqual(Array(DAYS - 3).fill(3 * PER_DAY));
    // A message id recorded just now is never forgotten by a run.
    await db.pool.query("INSERT INTO processed_messages (consumer, message_id) VALUES ('c', 'now')");
    await pruneProcessedMessages(db.pool, { retentionMs });
    expect(await count("SELECT count(*)::int AS n FROM processed_messages WHERE message_id = 'now'")).toBe(1);
  });

  it("pg-boss jobs: finished jobs leave after the queue's deleteAfterSeconds when pg-boss maintenance runs", async () => {
    const queue = QUEUES.refundPayment;
    const sizes = await steadyLoad(
      DAYS,
      async () => {
        for (let i = 0; i < PER_DAY; i++) await boss.send(queue, {});
        for (;;) {
          const jobs = await boss.fetch(queue, { batchSize: 100 });
          if (jobs.length === 0) break;
          await boss.complete(
            queue,
            jobs.map((j) => j.id),
          );
        }
      },
      async () => {
        await db.pool.query(
          "UPDATE pgboss.job SET created_on = created_on - interval '1 day', started_on = started_on - interval '1 day', completed_on = completed_on - interval '1 day', start_after = start_after - interval '1 day' WHERE name = $1",
          [queue],
        );
        // pg-boss maintains a queue once per maintenance interval: a day has passed for it too.
        await db.pool.query("UPDATE pgboss.queue SET maintain_on = maintain_on - interval '1 day' WHERE name = $1", [queue]);
      },
      () => boss.supervise(queue),
      () => count(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = '${queue}'`),
    );
    // pg-boss' default deletion window (deleteAfterSeconds) is 7 days: jobs completed 1 to 6 days ago stay.
    expect(sizes.slice(6)).toEqual(Array(DAYS - 6).fill(6 * PER_DAY));
  });

  it("order_status_history: kept with its order; a redelivered message adds no row, so an order's timeline is as long as its distinct events", async () => {
    const [orderId] = await placeOrders(db.pool, 1);
    const id = orderId as string;
    const apply = { consumer: "c", source: "/test", decision: { maxPaymentAttempts: 3 }, jobs: boss };
    const deliver = () =>
      withTransaction(db.pool, (client) =>
        applyEvents(client, [{ orderId: id, messageId: `timeout:${id}`, event: { type: "PendingTimeout" as const } }], apply),
      );
    await deliver();
    const rows = await count(`SELECT count(*)::int AS n FROM order_status_history WHERE order_id = '${id}'`);
    expect(rows).toBe(2);
    for (let i = 0; i < 5; i++) await deliver();
    expect(await count(`SELECT count(*)::int AS n FROM order_status_history WHERE order_id = '${id}'`)).toBe(rows);
  });
});
