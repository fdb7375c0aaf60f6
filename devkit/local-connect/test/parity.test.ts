import { freshDatabase, kafkaBrokers, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lsnDiff, type OutboxCdc, slotState, startOutboxCdc } from "../src/index.ts";
import { createTopic, readOutbox, readTopic, relayDrainAll, type SeenRecord, uniqueName, writeOrderEvents } from "./helpers.ts";

// DESIGN §5: "the relay and the Debezium connector produce the same key, value and headers
// for the same outbox row". One Connect worker for the whole file.
let db: TestDatabase;
let cdc: OutboxCdc;
let brokers: string[];
const relayTopic = uniqueName("parity_relay");
const debeziumTopic = uniqueName("parity_debezium");

beforeAll(async () => {
  brokers = kafkaBrokers();
  db = await freshDatabase("parity");
  await Promise.all([createTopic(brokers, relayTopic), createTopic(brokers, debeziumTopic)]);
  const slot = uniqueName("parity_slot");
  cdc = await startOutboxCdc({
    databaseUrl: db.url,
    bootstrap: brokers.join(","),
    topic: debeziumTopic,
    connector: { name: slot, slotName: slot, publicationName: `${slot}_pub`, topicPrefix: slot, heartbeatIntervalMs: 500 },
  });
});

afterAll(async () => {
  await cdc?.destroy();
  await db?.drop();
});

/** Per partition, in offset order: what a consumer of that partition sees. */
const byOrder = (records: SeenRecord[]) => {
  const out = new Map<string, SeenRecord[]>();
  for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))) {
    const list = out.get(r.key ?? "") ?? [];
    list.push(r);
    out.set(r.key ?? "", list);
  }
  return out;
};

const visible = (r: SeenRecord) => ({ partition: r.partition, key: r.key, value: r.value, headers: r.headers });

describe("relay and Debezium parity", () => {
  it("produces records equal in key, value, every header and partition, in the same per-order order", async () => {
    // Orders interleaved: each order's events are written in separate transactions, so rows of
    // different orders alternate in the outbox.
    const orders = await Promise.all(Array.from({ length: 12 }, (_, i) => writeOrderEvents(db.pool, i)));
    const rows = await readOutbox(db.pool);
    expect(rows.length).toBeGreaterThan(orders.length);
    expect(rows.some((r) => r.traceparent === null)).toBe(true);
    expect(rows.some((r) => r.traceparent !== null)).toBe(true);

    // The relay (its real drain) and Debezium both read the same rows.
    expect(await relayDrainAll(db.pool, brokers, relayTopic)).toBe(rows.length);
    const [relayed, captured] = await Promise.all([
      readTopic(brokers, relayTopic, (r) => r.length >= rows.length),
      readTopic(brokers, debeziumTopic, (r) => r.length >= rows.length),
    ]);
    expect(captured).toHaveLength(rows.length);

    const relayByOrder = byOrder(relayed);
    const debeziumByOrder = byOrder(captured);
    expect([...debeziumByOrder.keys()].sort()).toEqual([...orders].sort());
    for (const id of orders) {
      expect(debeziumByOrder.get(id)?.map(visible)).toEqual(relayByOrder.get(id)?.map(visible));
    }
    // And what both carry is the row itself: spot-check against the outbox columns.
    const first = rows[0]!;
    const record = captured.find((r) => r.headers.some(([k, v]) => k === "ce_id" && v === first.id))!;
    expect(record.value).toBe(first.payload);
    expect(record.key).toBe(first.aggregateId);
    const expected: [string, string][] = [
      ["ce_specversion", "1.0"],
      ["ce_id", first.id],
      ["ce_type", first.type],
      ["ce_source", first.source],
      ["ce_time", first.time],
      ["ce_subject", first.aggregateId],
      ["ce_sequence", first.ceSequence ?? ""],
      ["content-type", "application/json"],
    ];
    if (first.traceparent) expected.push(["traceparent", first.traceparent]);
    expect(record.headers).toEqual(expected);
    // A row without a trace context gets no traceparent header at all (not an empty or null one).
    const untraced = rows.find((r) => r.traceparent === null)!;
    const untracedRecord = captured.find((r) => r.headers.some(([k, v]) => k === "ce_id" && v === untraced.id))!;
    expect(untracedRecord.headers.map(([k]) => k)).not.toContain("traceparent");
    // The per-order sequence (migration 0075): 0000000001, 0000000002 … per order, in partition
    // order, on both paths (the comparison above already made them equal header by header).
    for (const id of orders) {
      const seqs = debeziumByOrder.get(id)?.map((r) => r.headers.find(([k]) => k === "ce_sequence")?.[1]);
      expect(seqs).toEqual(seqs?.map((_, i) => String(i + 1).padStart(10, "0")));
      expect(seqs?.length).toBeGreaterThan(1);
    }
    // Issue 14: the payment events travel both paths too.
    for (const type of ["PaymentActionRequired", "PaymentAttemptStarted"])
      expect(captured.some((r) => r.headers.some(([k, v]) => k === "ce_type" && v === type))).toBe(true);
    // Issue 15: the status-change event travels both paths too (compared above with the rest).
    expect(captured.filter((r) => r.headers.some(([k, v]) => k === "ce_type" && v === "OrderStatusChanged")).length).toBeGreaterThan(
      orders.length,
    );
  });

  it("keeps confirming WAL while the outbox is idle (heartbeat), so the slot does not grow", async () => {
    await db.pool.query("CREATE TABLE wal_noise (id bigserial PRIMARY KEY, filler text NOT NULL)");
    const before = (await slotState(db.pool, cdc.slotName))!;
    const { rows } = await db.pool.query("SELECT pg_current_wal_lsn()::text AS lsn");
    const startLsn = (rows[0] as { lsn: string }).lsn;
    // ~3 MB of WAL in tables the connector does not capture, spread over a few heartbeats.
    for (let round = 0; round < 6; round++) {
      await db.pool.query("INSERT INTO wal_noise (filler) SELECT repeat(md5(g::text), 16) FROM generate_series(1, 5000) g");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const deadline = Date.now() + 30_000;
    let after = (await slotState(db.pool, cdc.slotName))!;
    while (Date.now() < deadline && (await lsnDiff(db.pool, after.confirmedFlushLsn!, startLsn)) <= 0) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = (await slotState(db.pool, cdc.slotName))!;
    }
    // Confirmed past everything written before the noise started: the noise WAL is releasable.
    expect(await lsnDiff(db.pool, after.confirmedFlushLsn!, startLsn)).toBeGreaterThan(0);
    expect(await lsnDiff(db.pool, after.confirmedFlushLsn!, before.confirmedFlushLsn!)).toBeGreaterThan(0);
    // Nothing from the heartbeat table or the noise reached the orders topic.
    const { rows: count } = await db.pool.query("SELECT count(*)::int AS n FROM outbox");
    const all = await readTopic(brokers, debeziumTopic, (r) => r.length >= (count[0] as { n: number }).n);
    expect(all).toHaveLength((count[0] as { n: number }).n);
  });
});
