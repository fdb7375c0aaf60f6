import { freshDatabase, kafkaBrokers, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OutboxCdc, startOutboxCdc } from "../src/index.ts";
import { ceId, createTopic, readTopic, type SeenRecord, uniqueName, writeOrderEvents } from "./helpers.ts";

let db: TestDatabase;
let cdc: OutboxCdc;
let brokers: string[];
const topic = uniqueName("restart_debezium");

beforeAll(async () => {
  brokers = kafkaBrokers();
  db = await freshDatabase("dbzrestart");
  await createTopic(brokers, topic);
  const slot = uniqueName("restart_slot");
  cdc = await startOutboxCdc({
    databaseUrl: db.url,
    bootstrap: brokers.join(","),
    topic,
    connector: { name: slot, slotName: slot, publicationName: `${slot}_pub`, topicPrefix: slot, heartbeatIntervalMs: 1000 },
  });
});

afterAll(async () => {
  await cdc?.destroy();
  await db?.drop();
});

/** Writes orders one after another until `until` resolves; returns how many. */
async function writeWhile(until: Promise<unknown>): Promise<number> {
  let stop = false;
  void until.finally(() => {
    stop = true;
  });
  let n = 0;
  while (!stop) {
    await writeOrderEvents(db.pool, n++);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return n;
}

const firstSeenOrder = (records: SeenRecord[]) => {
  const ordered = [...records].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  const seen = new Set<string>();
  const perOrder = new Map<string, string[]>();
  for (const r of ordered) {
    const id = ceId(r)!;
    if (seen.has(id)) continue;
    seen.add(id);
    perOrder.set(r.key!, [...(perOrder.get(r.key!) ?? []), id]);
  }
  return perOrder;
};

describe("Debezium through a Connect crash", () => {
  it("loses no outbox row and keeps per-order order when the worker is SIGKILLed mid-stream", async () => {
    const pidBefore = cdc.worker.pid;
    const crash = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await cdc.worker.restart({ crash: true });
      await cdc.worker.rest.waitForState(cdc.connector.name);
      // Keep writing for a moment after the task is back.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    })();
    const [orders] = await Promise.all([writeWhile(crash), crash]);
    expect(orders).toBeGreaterThan(10);
    expect(cdc.worker.pid).toBeDefined();
    expect(cdc.worker.pid).not.toBe(pidBefore);

    const { rows } = await db.pool.query(`SELECT id::text, aggregateid FROM outbox ORDER BY sequence`);
    const outbox = rows as { id: string; aggregateid: string }[];
    const wanted = new Set(outbox.map((r) => r.id));
    const records = await readTopic(brokers, topic, (rs) => {
      const got = new Set(rs.map(ceId));
      return [...wanted].every((id) => got.has(id));
    });

    // At least once: every row arrived (records since the last committed offset may repeat).
    const got = new Set(records.map(ceId));
    expect([...wanted].filter((id) => !got.has(id))).toEqual([]);
    // Per order, first deliveries are in outbox (sequence) order.
    const expected = new Map<string, string[]>();
    for (const r of outbox) expected.set(r.aggregateid, [...(expected.get(r.aggregateid) ?? []), r.id]);
    expect(firstSeenOrder(records)).toEqual(expected);
    console.info(`restart: ${outbox.length} rows, ${records.length} records (${records.length - outbox.length} duplicates)`);
  });
});
