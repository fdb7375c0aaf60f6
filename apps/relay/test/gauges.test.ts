import { uuidv7 } from "@orders/domain";
import { createRelayMetrics, refreshGauges } from "@orders/outbox-relay";
import { useFreshDatabase } from "@orders/testkit";
import prometheus from "prom-client";
import { describe, expect, it } from "vitest";
import { insertEvents } from "./helpers.ts";

const db = useFreshDatabase("relay-gauges");

/**
 * The gauge refresh runs every RELAY_GAUGE_INTERVAL_MS (5 s) on every relay, during a drain too.
 * It needs the backlog, the parked rows and the oldest row's age — nothing that reads published
 * rows: the outbox keeps a day of them (RELAY_RETENTION_SECONDS), and the per-type counts over the
 * whole table and the percentile over the last minute's rows cost PostgreSQL ~25 % of its CPU
 * during a 200 000-row drain (docs/benchmarks.md "Relay drain, stop 12").
 */
describe("relay gauges", () => {
  it("refresh the backlog, parked and oldest-age gauges with one statement that reads only unpublished rows", async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await insertEvents(db.pool, [
      { id: uuidv7(), aggregateId: a, type: "OrderCreated", payload: { n: 0 } },
      { id: uuidv7(), aggregateId: a, type: "OrderConfirmed", payload: { n: 1 } },
      { id: uuidv7(), aggregateId: b, type: "OrderCreated", payload: { n: 0 } },
      { id: uuidv7(), aggregateId: b, type: "OrderConfirmed", payload: { n: 1 } },
    ]);
    // One published row, one parked (its order's later row waits behind it).
    await db.pool.query(
      "UPDATE outbox SET published_at = clock_timestamp() WHERE sequence = (SELECT min(sequence) FROM outbox WHERE aggregateid = $1)",
      [a],
    );
    await db.pool.query(
      "UPDATE outbox SET parked_at = clock_timestamp(), attempts = 5 WHERE sequence = (SELECT min(sequence) FROM outbox WHERE aggregateid = $1)",
      [b],
    );

    const statements: string[] = [];
    const query = db.pool.query.bind(db.pool);
    const spy = Object.create(db.pool) as typeof db.pool;
    spy.query = ((config: unknown, ...rest: unknown[]) => {
      statements.push(typeof config === "string" ? config : (config as { text: string }).text);
      return (query as (...args: unknown[]) => unknown)(config, ...rest);
    }) as typeof db.pool.query;

    const metrics = createRelayMetrics(new prometheus.Registry());
    const gauges = await refreshGauges(spy, metrics);

    expect(gauges).toMatchObject({ backlog: 2, parked: 1 });
    expect((await metrics.backlog.get()).values[0]?.value).toBe(2);
    expect((await metrics.parkedRows.get()).values[0]?.value).toBe(1);
    expect((await metrics.oldestUnpublishedAge.get()).values[0]?.value).toBeGreaterThanOrEqual(0);
    // Neither the per-type counts over the whole table nor the publish-lag percentile.
    expect(statements).toHaveLength(1);
    expect(statements[0]).not.toMatch(/GROUP BY type|percentile_cont/);
  });
});
