import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeOutboxIfStale } from "../src/index.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("outbox_stats");
});
afterAll(() => db.drop());

const insertRows = (n: number, published: boolean) =>
  db.pool.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time, published_at)
     SELECT gen_random_uuid(), 'order', gen_random_uuid()::text, 'OrderCreated', '{"x": 1}', '/test', '2026-01-01T00:00:00Z',
            CASE WHEN $2 THEN now() END
       FROM generate_series(1, $1::int)`,
    [n, published],
  );
const stats = async () =>
  (
    await db.pool.query(
      "SELECT n_mod_since_analyze::int AS modified, coalesce(greatest(last_analyze, last_autoanalyze), 'epoch') AS analyzed FROM pg_stat_user_tables WHERE relid = 'outbox'::regclass",
    )
  ).rows[0] as { modified: number; analyzed: Date };

describe("the planner's outbox statistics", () => {
  it("are refreshed when a backlog built up after they were taken, and only then", async () => {
    // The normal state: a table of published rows, analyzed.
    await insertRows(5_000, true);
    await db.pool.query("ANALYZE outbox");
    const before = await stats();
    const options = { minBacklog: 2_000, minAgeSeconds: 0 };

    // A backlog smaller than the threshold changes nothing.
    expect(await analyzeOutboxIfStale(db.pool, 1_000, options)).toBe(false);

    // A backlog arrives (say, during a Kafka outage); the counters reach pg_stat within a second.
    await insertRows(3_000, false);
    await expect.poll(async () => (await stats()).modified, { timeout: 10_000 }).toBeGreaterThanOrEqual(3_000);
    expect(await analyzeOutboxIfStale(db.pool, 3_000, { ...options, minAgeSeconds: 3_600 })).toBe(false); // too recent
    expect(await analyzeOutboxIfStale(db.pool, 3_000, options)).toBe(true);
    const after = await stats();
    expect(after.analyzed.getTime()).toBeGreaterThan(before.analyzed.getTime());
    expect(after.modified).toBeLessThan(3_000);

    // Statistics that already include the backlog are left alone.
    expect(await analyzeOutboxIfStale(db.pool, 3_000, options)).toBe(false);
  });
});
