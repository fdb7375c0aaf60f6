import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armOutboxWakeup, disarmOutboxWakeup } from "../src/index.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";

/*
 * Issue 17: a writer's transaction carries a NOTIFY only while a relay has armed the wake-up
 * (migration 0120). A NOTIFY takes a database-wide lock at commit, held through the WAL flush,
 * so one in every writer's commit serialised all of them (docs/relay.md "Wake-ups").
 *
 * How "no notification" is observed without waiting on a clock: notifications reach a listener
 * in commit order, so after the writer committed, a sentinel NOTIFY is sent; everything the
 * writer notified arrives before the sentinel.
 */

let db: TestDatabase;
let listener: pg.Client;
const received: string[] = [];
let sentinel: (() => void) | undefined;

beforeAll(async () => {
  db = await freshDatabase("outbox_wakeup");
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on("notification", (n) => {
    if (n.payload === "sentinel") sentinel?.();
    else received.push(n.payload ?? "");
  });
  await listener.query("LISTEN outbox_inserted");
});
afterAll(async () => {
  await listener?.end();
  await db?.drop();
});

/** Runs `write`, then counts the outbox notifications it caused (via the sentinel). */
async function notificationsOf(write: () => Promise<unknown>): Promise<number> {
  received.length = 0;
  await write();
  const seen = new Promise<void>((resolve) => {
    sentinel = resolve;
  });
  await db.pool.query("SELECT pg_notify('outbox_inserted', 'sentinel')");
  await seen;
  return received.length;
}

const insertEvent = () =>
  db.pool.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
     VALUES ($1, 'order', $2, 'OrderCreated', '{}', '/test', '2026-01-01T00:00:00Z')`,
    [randomUUID(), randomUUID()],
  );

describe("outbox wake-up (migration 0120)", () => {
  it("sends no NOTIFY from a writer's transaction while no relay has armed the wake-up", async () => {
    await disarmOutboxWakeup(db.pool);
    expect(await notificationsOf(insertEvent)).toBe(0);
    // Several statements, several transactions: still none.
    expect(await notificationsOf(() => Promise.all([insertEvent(), insertEvent(), insertEvent()]))).toBe(0);
  });

  it("notifies on every insert statement while armed, and stops once disarmed", async () => {
    await armOutboxWakeup(db.pool);
    expect(await notificationsOf(insertEvent)).toBe(1);
    expect(await notificationsOf(insertEvent)).toBe(1); // the writer only reads the flag
    await disarmOutboxWakeup(db.pool);
    expect(await notificationsOf(insertEvent)).toBe(0);
  });

  it("reads an empty flag table (unlogged: emptied by a crash) as not armed, and arms it again", async () => {
    await db.pool.query("DELETE FROM outbox_relay_wakeup");
    expect(await notificationsOf(insertEvent)).toBe(0);
    await armOutboxWakeup(db.pool);
    await armOutboxWakeup(db.pool); // idempotent
    expect((await db.pool.query("SELECT count(*)::int AS n FROM outbox_relay_wakeup WHERE armed")).rows[0].n).toBe(1);
    expect(await notificationsOf(insertEvent)).toBe(1);
    await disarmOutboxWakeup(db.pool);
  });

  it("expires a flag nobody renewed for 10 minutes (no relay left: Debezium mode), and a renewal revives it", async () => {
    await armOutboxWakeup(db.pool);
    // The last relay went away while armed (test-only SQL: its arming 11 minutes ago).
    await db.pool.query("UPDATE outbox_relay_wakeup SET armed_at = now() - interval '11 minutes'");
    expect(await notificationsOf(insertEvent)).toBe(0);
    // A sleeping relay renews its flag on every sweep; an old one is written again.
    await armOutboxWakeup(db.pool);
    expect(await notificationsOf(insertEvent)).toBe(1);
    // A fresh flag is not rewritten on every renewal (at most once a minute).
    const before = (await db.pool.query("SELECT armed_at FROM outbox_relay_wakeup")).rows[0].armed_at as Date;
    await armOutboxWakeup(db.pool);
    expect((await db.pool.query("SELECT armed_at FROM outbox_relay_wakeup")).rows[0].armed_at).toEqual(before);
    await disarmOutboxWakeup(db.pool);
  });

  it("keeps the flag out of the WAL: an unlogged table", async () => {
    const { rows } = await db.pool.query("SELECT relpersistence FROM pg_class WHERE oid = 'outbox_relay_wakeup'::regclass");
    expect(rows[0].relpersistence).toBe("u");
  });
});
