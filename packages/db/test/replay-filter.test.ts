import { uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countReplayRows, outboxSequenceBounds, replayPage, run, sql } from "../src/index.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";

// Issue 15: a replay reads published rows only — except with includeUnpublished, which
// OUTBOX_MODE=debezium needs (Debezium never marks rows published) for the read model's rebuild.
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("replay_filter");
});
afterAll(() => db.drop());

describe("replay filter", () => {
  it("replays published rows only, or every row with includeUnpublished, in sequence order", async () => {
    const aggregateId = uuidv7();
    for (let n = 0; n < 5; n++)
      await run(
        db.pool,
        sql.insertOutboxEvent({
          id: uuidv7(),
          aggregateType: "Test",
          aggregateId,
          type: "TestEvent",
          payload: { n },
          source: "/t",
          time: new Date().toISOString(),
          traceparent: null,
        }),
      );
    await db.pool.query("UPDATE outbox SET published_at = now() WHERE sequence IN (SELECT sequence FROM outbox ORDER BY sequence LIMIT 2)");
    const bounds = await outboxSequenceBounds(db.pool);
    const filter = { fromSequence: bounds.min, toSequence: bounds.max, aggregateId };
    expect(await countReplayRows(db.pool, filter)).toBe(2);
    expect(await countReplayRows(db.pool, { ...filter, includeUnpublished: true })).toBe(5);
    const after = (BigInt(bounds.min) - 1n).toString();
    expect((await replayPage(db.pool, filter, after, 10)).length).toBe(2);
    const all = await replayPage(db.pool, { ...filter, includeUnpublished: true }, after, 10);
    expect(all.map((r) => JSON.parse(r.payload).n)).toEqual([0, 1, 2, 3, 4]);
  });
});
