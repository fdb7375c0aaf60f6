import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopic, insertEvents, makeEvents, newTopic, readTopic, startTestRelay, waitFor } from "./helpers.ts";

/*
 * Issue 17: writers NOTIFY only while a relay sleeps (migration 0120). A relay that has work polls;
 * one that went idle arms the wake-up flag and sleeps until the next insert's NOTIFY. The sweep
 * is 10 minutes here, so within these tests only a NOTIFY or the relay's own polling can publish
 * a row.
 */

const db = useFreshDatabase("relay-wakeup");
const NO_SWEEP = { RELAY_SWEEP_INTERVAL_MS: "600000" };

let listener: pg.Client;
let notifications = 0;
let sentinel: (() => void) | undefined;
beforeAll(async () => {
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on("notification", (n) => {
    if (n.payload === "sentinel") sentinel?.();
    else notifications++;
  });
  await listener.query("LISTEN outbox_inserted");
});
afterAll(async () => {
  await listener?.end();
});

/** Outbox notifications sent by writes that committed before this call (commit order = delivery order). */
async function notificationsSoFar(): Promise<number> {
  const seen = new Promise<void>((resolve) => {
    sentinel = resolve;
  });
  await db.pool.query("SELECT pg_notify('outbox_inserted', 'sentinel')");
  await seen;
  return notifications;
}

const armed = async () =>
  (await db.pool.query("SELECT coalesce(bool_or(armed), false) AS armed FROM outbox_relay_wakeup")).rows[0].armed as boolean;

describe("relay wake-up without a NOTIFY in every writer's commit", () => {
  it("an idle relay arms the wake-up and the next insert's NOTIFY wakes it; it re-arms once idle again", async () => {
    const topic = newTopic("wakeup");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    const relay = await startTestRelay(db.url, topic, NO_SWEEP);
    try {
      await waitFor(armed, 30_000, "the idle relay armed the wake-up");
      const first = makeEvents(1, 1);
      await insertEvents(db.pool, first);
      await readTopic(kafka, topic, (r) => r.length >= 1, 30_000);
      // Published and idle again: armed for the next one.
      await waitFor(armed, 30_000, "armed again after going idle");
      await insertEvents(db.pool, makeEvents(1, 1));
      const records = await readTopic(kafka, topic, (r) => r.length >= 2, 30_000);
      expect(records.map((r) => r.headers.ce_id)).toContain(first[0]?.id);
    } finally {
      await relay.stop();
    }
  });

  it("a sleeping relay renews its flag on every sweep: writers ignore one nobody renewed for 10 minutes (migration 0150)", async () => {
    const topic = newTopic("wakeup-renew");
    await createTopic(kafkaBrokers(), topic, 3);
    const relay = await startTestRelay(db.url, topic, { RELAY_SWEEP_INTERVAL_MS: "300" });
    try {
      await waitFor(armed, 30_000, "the idle relay armed the wake-up");
      // As if the relay had slept 11 minutes since arming (test-only SQL).
      await db.pool.query("UPDATE outbox_relay_wakeup SET armed_at = now() - interval '11 minutes'");
      const fresh = async () =>
        (await db.pool.query("SELECT bool_or(armed AND armed_at > now() - interval '1 minute') AS fresh FROM outbox_relay_wakeup")).rows[0]
          .fresh === true;
      await waitFor(fresh, 30_000, "the sleeping relay renewed the flag on a sweep");
    } finally {
      await relay.stop();
    }
  });

  it("a relay that starts under traffic clears a wake-up flag left armed (by a relay killed while idle)", async () => {
    const topic = newTopic("wakeup-left");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    await db.pool.query(
      "INSERT INTO outbox_relay_wakeup (singleton, armed) VALUES (true, true) ON CONFLICT (singleton) DO UPDATE SET armed = true",
    );
    // Never idle within the test: it never arms (or disarms) the flag on its own account.
    const relay = await startTestRelay(db.url, topic, { ...NO_SWEEP, RELAY_IDLE_AFTER_MS: "600000" });
    try {
      await insertEvents(db.pool, makeEvents(1, 1));
      await readTopic(kafka, topic, (r) => r.length >= 1, 30_000);
      await waitFor(async () => !(await armed()), 30_000, "the flag left armed was cleared");
    } finally {
      await relay.stop();
    }
  });

  it("a relay with recent traffic disarms the wake-up and finds new rows by polling: writers send no NOTIFY", async () => {
    const topic = newTopic("wakeup-busy");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    // Idle only after 10 minutes without rows: once woken, this relay polls for the whole test.
    const relay = await startTestRelay(db.url, topic, { ...NO_SWEEP, RELAY_IDLE_AFTER_MS: "600000" });
    try {
      await insertEvents(db.pool, makeEvents(1, 1)); // wakes it (NOTIFY) or its poll finds it
      await readTopic(kafka, topic, (r) => r.length >= 1, 30_000);
      await waitFor(async () => !(await armed()), 30_000, "the relay that found rows disarmed the wake-up");
      const before = await notificationsSoFar();
      const events = makeEvents(100, 20);
      for (const e of events) await insertEvents(db.pool, [e]); // 100 writer transactions
      const records = await readTopic(kafka, topic, (r) => r.length >= 101, 30_000);
      expect(new Set(records.map((r) => r.headers.ce_id)).size).toBe(101);
      expect((await notificationsSoFar()) - before).toBe(0);
    } finally {
      await relay.stop();
    }
  });
});
