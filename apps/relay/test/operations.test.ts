import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { uuidv7 } from "@orders/domain";
import { runRetention } from "@orders/outbox-relay";
import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { createTopic, insertEvents, makeEvents, newTopic, readTopic, startTestRelay, unpublishedCount, waitFor } from "./helpers.ts";

const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });

const db = useFreshDatabase("relay-ops");

describe("relay operations", () => {
  it("parks a row the broker keeps refusing, holds back only that order's later rows, and shows it in status until retry-failed", async () => {
    const topic = newTopic("park");
    const kafka = await createTopic(kafkaBrokers(), topic, 1);
    // A topic that refuses records over 1 KiB.
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: "max.message.bytes", value: "1024" }] }],
    });
    const [stuck, other] = [uuidv7(), uuidv7()];
    const bigId = uuidv7();
    await insertEvents(db.pool, [
      { id: uuidv7(), aggregateId: stuck, type: "OrderCreated", payload: { n: 0 } },
      { id: bigId, aggregateId: stuck, type: "OrderConfirmed", payload: { n: 1, blob: "x".repeat(4_000) } },
      { id: uuidv7(), aggregateId: stuck, type: "OrderCancelled", payload: { n: 2 } },
      { id: uuidv7(), aggregateId: other, type: "OrderCreated", payload: { n: 0 } },
      { id: uuidv7(), aggregateId: other, type: "OrderConfirmed", payload: { n: 1 } },
    ]);
    const relay = await startTestRelay(db.url, topic, { RELAY_MAX_ATTEMPTS: "2", RELAY_SWEEP_INTERVAL_MS: "100" });
    try {
      await waitFor(
        async () => (await db.pool.query("SELECT 1 FROM outbox WHERE parked_at IS NOT NULL")).rowCount === 1,
        30_000,
        "row parked",
      );
      const { rows } = await db.pool.query(
        "SELECT id, attempts, last_error, parked_at FROM outbox WHERE published_at IS NULL ORDER BY sequence",
      );
      expect(rows.map((r) => r.id)).toHaveLength(2); // the big row and the stuck order's next one
      expect(rows[0].id).toBe(bigId);
      expect(rows[0].attempts).toBe(2);
      expect(rows[0].last_error).toMatch(/larger than the max message size/);
      expect(rows[1].parked_at).toBeNull();

      const env = { DATABASE_URL: db.url };
      const human = await cli(["status"], env);
      expect(human.stdout).toMatch(/parked\s+1/);
      expect(human.stdout).toContain(bigId);
      const json = JSON.parse((await cli(["status", "--json"], env)).stdout);
      expect(json).toMatchObject({ parked: 1, backlog: 1, behindParked: 1 });
      expect(human.stdout).toContain("1 behind a parked row of their order");
      expect(json.parkedRows[0]).toMatchObject({ id: bigId, aggregateId: stuck, attempts: 2 });

      // The operator raises the limit and retries: the order continues in order.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [{ name: "max.message.bytes", value: "1048588" }] }],
      });
      const retried = JSON.parse((await cli(["retry-failed", "--json"], env)).stdout);
      expect(retried).toEqual({ unparked: 1, aggregateId: null });
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 30_000, "all published after retry");
      const records = await readTopic(kafka, topic, (r) => r.length >= 5);
      expect(records.filter((r) => r.key === stuck).map((r) => JSON.parse(r.value).n)).toEqual([0, 1, 2]);
      expect(records.filter((r) => r.key === other).map((r) => JSON.parse(r.value).n)).toEqual([0, 1]);
    } finally {
      await admin.disconnect();
      await relay.stop();
    }
  });

  it("replays a sequence range, one order, or one type, in order, and reports on stdout", async () => {
    const topic = newTopic("replay");
    const kafka = await createTopic(kafkaBrokers(), topic, 3);
    await db.pool.query("DELETE FROM outbox");
    const events = makeEvents(600, 20);
    await insertEvents(db.pool, events);
    const relay = await startTestRelay(db.url, topic);
    try {
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 30_000, "published");
    } finally {
      await relay.stop();
    }
    const { rows } = await db.pool.query("SELECT min(sequence)::text AS lo FROM outbox");
    const lo = BigInt(rows[0].lo);
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(","), ORDERS_TOPIC: topic };

    const range = JSON.parse((await cli(["replay", "--from", String(lo + 100n), "--to", String(lo + 199n), "--json"], env)).stdout);
    expect(range).toMatchObject({ replayed: 100, total: 100, topic });
    const order = events[0]?.aggregateId as string;
    const one = JSON.parse((await cli(["replay", "--aggregate-id", order, "--json"], env)).stdout);
    expect(one.replayed).toBe(30);
    const created = await cli(["replay", "--type", "OrderCreated", "--from", new Date(Date.now() - 3_600_000).toISOString()], env);
    expect(created.stdout).toMatch(/^replayed 20 rows to /);
    // A short run on a pipe: no progress bar (it is drawn only on a TTY or after 5 s).
    expect(created.stderr).not.toMatch(/replay .*%/);
    if (created.stderr) console.log(`replay stderr: ${created.stderr}`);

    const records = await readTopic(kafka, topic, (r) => r.length >= 600 + 100 + 30 + 20);
    const replayed = records.length - 600;
    expect(replayed).toBe(150);
    // The order's records on its partition: original 0..29, the range replay's part of it (in
    // order), the whole order again 0..29, and its OrderCreated (n = 0) from the type replay.
    const ns = records.filter((r) => r.key === order).map((r) => JSON.parse(r.value).n as number);
    const all = Array.from({ length: 30 }, (_, i) => i);
    expect(ns.slice(0, 30)).toEqual(all);
    const rangePart = ns.slice(30, -31);
    expect(rangePart).toEqual([...rangePart].sort((a, b) => a - b));
    expect(ns.slice(-31, -1)).toEqual(all);
    expect(ns.at(-1)).toBe(0);
    const bad = await cli(["replay", "--from", "yesterday"], env).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/--from must be an outbox sequence number or an ISO-8601 time/);
  });

  it("retention deletes published rows older than the configured age, never unpublished or parked ones", async () => {
    await db.pool.query("DELETE FROM outbox");
    const events = makeEvents(40, 4);
    await insertEvents(db.pool, events);
    await db.pool.query(
      `UPDATE outbox SET published_at = now() - interval '2 hours' WHERE sequence IN (SELECT sequence FROM outbox ORDER BY sequence LIMIT 10)`,
    );
    await db.pool.query(
      `UPDATE outbox SET published_at = now() - interval '10 minutes' WHERE published_at IS NULL AND sequence IN (SELECT sequence FROM outbox WHERE published_at IS NULL ORDER BY sequence LIMIT 10)`,
    );
    await db.pool.query(
      `UPDATE outbox SET parked_at = now() - interval '3 hours', created_at = now() - interval '3 hours' WHERE published_at IS NULL AND sequence IN (SELECT sequence FROM outbox WHERE published_at IS NULL ORDER BY sequence LIMIT 5)`,
    );
    const result = await runRetention(db.pool, 3_600, { batchSize: 3 });
    expect(result.outboxRows).toBe(10);
    const { rows } = await db.pool.query(
      "SELECT count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published, count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked, count(*)::int AS total FROM outbox",
    );
    expect(rows[0]).toEqual({ published: 10, parked: 5, total: 30 });
  });
});
