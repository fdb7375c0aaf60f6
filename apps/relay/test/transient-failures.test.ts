import { createRecordSender, type OutgoingRecord, type RecordAck, type RecordSender } from "@orders/kafka";
import { createPublisher, drainBatch } from "@orders/outbox-relay";
import { freshDatabase, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishPolicy } from "../src/policies.ts";
import { insertEvents, makeEvents, quietLogger, relayConfig } from "./helpers.ts";

/**
 * A row's park budget (RELAY_MAX_ATTEMPTS) is spent only by the broker refusing the record
 * itself; a broker outage, however long, leaves it untouched.
 */
let db: TestDatabase;
/** What the relay's client really raises when no broker is reachable. */
let unreachable: unknown;

beforeAll(async () => {
  db = await freshDatabase("relay-transient");
  const nowhere = createRecordSender({ brokers: ["127.0.0.1:9"], clientId: "nowhere", requestTimeoutMs: 1_000, retries: 0 });
  unreachable = await nowhere.send("orders", [{ key: "k", value: "v", headers: {} }]).then(
    () => null,
    (error: unknown) => error,
  );
  await nowhere.close();
});
afterAll(async () => {
  await db?.drop();
});

/** The broker refusing one record for what it is, as a produce response reports it. */
const tooLarge = () =>
  Object.assign(new Error("Kafka send failed: MESSAGE_TOO_LARGE: The request included a message larger than the max message size"), {
    cause: Object.assign(new AggregateError([], "Received response with error while executing API Produce(v9)"), {
      errors: [Object.assign(new Error("The request included a message larger than the max message size"), { apiId: "MESSAGE_TOO_LARGE" })],
    }),
  });

/** A record sender that fails each send with what `next()` says, or acks. */
function scriptedSender(next: (records: readonly OutgoingRecord[]) => unknown): RecordSender & { sent: OutgoingRecord[] } {
  const sent: OutgoingRecord[] = [];
  return {
    sent,
    connect: async () => {},
    close: async () => {},
    send: async (topic, records): Promise<RecordAck[]> => {
      const failure = next(records);
      if (failure) throw failure;
      sent.push(...records);
      return [{ topic, partition: 0, baseOffset: "0" }];
    },
  };
}

const rowsState = async () =>
  (
    await db.pool.query(
      "SELECT aggregateid, attempts, parked_at IS NOT NULL AS parked, published_at IS NOT NULL AS published, last_error FROM outbox ORDER BY sequence",
    )
  ).rows as { aggregateid: string; attempts: number; parked: boolean; published: boolean; last_error: string | null }[];

describe("relay: transient is never poison", () => {
  it("a broker outage longer than the park budget neither parks a row nor spends its refusals", async () => {
    expect(unreachable).toBeInstanceOf(Error);
    await db.pool.query("DELETE FROM outbox");
    const events = makeEvents(4, 2);
    await insertEvents(db.pool, events);
    const refusedKey = events[0]?.aggregateId as string;

    let phase: "down" | "refuse" | "up" = "down";
    const sender = scriptedSender((records) => {
      if (phase === "down") return unreachable;
      if (phase === "refuse" && records.some((r) => r.key === refusedKey)) return tooLarge();
      return null;
    });
    const config = relayConfig(db.url, ["127.0.0.1:9"], "orders", { RELAY_SEND_RETRIES: "0", RELAY_BREAKER_THRESHOLD: "1000" });
    const { policy, breaker } = publishPolicy(config);
    const publisher = createPublisher({ sender, topic: "orders", policy, breaker, halfOpenAfterMs: 10 });
    const drain = () => drainBatch({ pool: db.pool, publisher, batchSize: 100, maxAttempts: 3, logger: quietLogger() });

    // The broker is away for more rounds than RELAY_MAX_ATTEMPTS.
    for (let round = 0; round < 6; round++) {
      const result = await drain();
      expect(result).toMatchObject({ published: 0, parked: 0 });
    }
    for (const row of await rowsState()) {
      expect(row).toMatchObject({ parked: false, published: false, attempts: 0 });
      expect(row.last_error).toMatch(/ECONNREFUSED|connect/);
    }

    // Back, but refusing one order's record once: one refusal of three, not parked.
    phase = "refuse";
    const refused = await drain();
    expect(refused.parked).toBe(0);
    const afterRefusal = await rowsState();
    expect(afterRefusal.filter((r) => r.parked)).toEqual([]);
    expect(afterRefusal.find((r) => r.aggregateid === refusedKey)).toMatchObject({ attempts: 1, published: false });

    phase = "up";
    await drain();
    const final = await rowsState();
    expect(final.every((r) => r.published && !r.parked)).toBe(true);
    expect(new Set(sender.sent.map((r) => r.headers.ce_id))).toEqual(new Set(events.map((e) => e.id)));
  });

  it("still parks a row the broker refuses for itself once its budget is spent", async () => {
    await db.pool.query("DELETE FROM outbox");
    const events = makeEvents(3, 3);
    await insertEvents(db.pool, events);
    const refusedKey = events[1]?.aggregateId as string;
    const sender = scriptedSender((records) => (records.some((r) => r.key === refusedKey) ? tooLarge() : null));
    const config = relayConfig(db.url, ["127.0.0.1:9"], "orders", { RELAY_SEND_RETRIES: "0", RELAY_BREAKER_THRESHOLD: "1000" });
    const { policy, breaker } = publishPolicy(config);
    const publisher = createPublisher({ sender, topic: "orders", policy, breaker, halfOpenAfterMs: 10 });
    let parked = 0;
    for (let round = 0; round < 3; round++) {
      parked += (await drainBatch({ pool: db.pool, publisher, batchSize: 100, maxAttempts: 3, logger: quietLogger() })).parked;
    }
    expect(parked).toBe(1);
    const rows = await rowsState();
    expect(rows.filter((r) => r.parked).map((r) => r.aggregateid)).toEqual([refusedKey]);
    expect(rows.filter((r) => r.aggregateid !== refusedKey).every((r) => r.published)).toBe(true);
    expect(rows.find((r) => r.aggregateid === refusedKey)?.last_error).toMatch(/MESSAGE_TOO_LARGE/);
  });
});
