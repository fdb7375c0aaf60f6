import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimOutboxBatch, sql } from "../src/index.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";

/*
 * Issue 17 item 5: with fewer orders than the batch size (many events per order), the claim's head
 * walk found too few heads to stop early and walked the whole backlog, one index probe per row
 * (bench/relay/claim.ts: 250–550 ms per claim of 500 from 20 000 rows over 20–200 orders, against
 * 15–22 ms for one event per order). Work is measured here in rows the plan reads (EXPLAIN
 * ANALYZE), not in time.
 */

const ORDERS = 20;
const PER_ORDER = 1_000;
const BATCH = 500;

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("outbox_claim_deep");
  // 20 orders × 1 000 events, interleaved in sequence order (as concurrent traffic writes them).
  await db.pool.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
     SELECT gen_random_uuid(), 'order', 'order-' || (g % $1::int), 'OrderConfirmed', jsonb_build_object('n', g / $1::int), '/test', '2026-01-01T00:00:00Z'
       FROM generate_series(0, $1::int * $2::int - 1) AS g ORDER BY g`,
    [ORDERS, PER_ORDER],
  );
  await db.pool.query("ANALYZE outbox");
});
afterAll(async () => {
  await db?.drop();
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

/** Rows every scan of `outbox` in the plan read (returned or filtered out), summed over its loops. */
function outboxRowsRead(node: PlanNode): number {
  const perLoop = (node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0);
  const own = node["Relation Name"] === "outbox" ? perLoop * (node["Actual Loops"] ?? 1) : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + outboxRowsRead(child), 0);
}

describe("claim with fewer orders than the batch size", () => {
  it("returns a full batch: each order's oldest events, contiguous, in sequence order", async () => {
    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      const rows = await claimOutboxBatch(client, BATCH);
      await client.query("ROLLBACK");
      expect(rows).toHaveLength(BATCH);
      const sequences = rows.map((r) => BigInt(r.sequence));
      expect([...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(sequences);
      // The oldest 500 of the backlog: 25 of each order, i.e. every order's first 25 events.
      const byOrder = new Map<string, number[]>();
      for (const r of rows) byOrder.set(r.aggregateId, [...(byOrder.get(r.aggregateId) ?? []), JSON.parse(r.payload).n as number]);
      expect(byOrder.size).toBe(ORDERS);
      for (const ns of byOrder.values()) expect(ns).toEqual(Array.from({ length: BATCH / ORDERS }, (_, i) => i));
    } finally {
      client.release();
    }
  });

  it("reads a number of rows bounded by the batch, not the backlog", async () => {
    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      const q = sql.claimOutboxBatch(BATCH);
      const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.text}`, q.values as unknown[]);
      await client.query("ROLLBACK");
      const plan = (rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]?.Plan as PlanNode;
      const read = outboxRowsRead(plan);
      if (process.env.SHOW_PLAN) {
        const show = (n: PlanNode, d: number): void => {
          console.log(
            `${" ".repeat(d)}${n["Node Type"]} ${n["Relation Name"] ?? ""} ${(n as unknown as Record<string, unknown>)["Index Name"] ?? ""} rows=${n["Actual Rows"]} removed=${n["Rows Removed by Filter"] ?? 0} loops=${n["Actual Loops"]} ${(n as unknown as Record<string, unknown>)["Subplan Name"] ?? ""}`,
          );
          for (const c of n.Plans ?? []) show(c, d + 2);
        };
        show(plan, 0);
      }
      // The backlog is 20 000 rows; walking it (and probing each row's order) read over 60 000.
      expect(read).toBeLessThan((ORDERS * PER_ORDER) / 2);
    } finally {
      client.release();
    }
  });
});
