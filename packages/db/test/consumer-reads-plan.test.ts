import { randomUUID } from "node:crypto";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/index.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";

/*
 * The consumer reads the ledger, causes, lines, returns and payment attempts of a whole chunk's
 * orders with one prepared statement each. The generic plan it keeps may have been made while a
 * table was still empty (a fresh database, the first chunks after a deploy); it must not be a
 * sequential scan that compares every row with every id of the chunk (`Filter: order_id =
 * ANY($1)`): in bench/consumer that plan made the ledger and causes reads ~150-200 µs per applied
 * event each once the tables had grown (docs/benchmarks.md "Consumer CPU per event, stop 12").
 */

let db: TestDatabase;
let client: pg.PoolClient;
const ids = Array.from({ length: 400 }, () => randomUUID());
const reads: [string, sql.Query][] = [
  ["ledger", sql.selectLedger(ids)],
  ["causes", sql.selectCauses(ids)],
  ["lines", sql.selectLines(ids)],
  ["returns", sql.selectReturns(ids)],
  ["payment attempts", sql.selectPaymentAttempts(ids)],
];
const idArray = `'{${ids.join(",")}}'`;

beforeAll(async () => {
  db = await freshDatabase("consumer_reads_plan");
  await db.pool.query("ANALYZE");
  client = await db.pool.connect();
  // Planned and cached on empty tables, as the consumer's first chunks do …
  await client.query("SET plan_cache_mode = force_generic_plan");
  for (const [i, [, query]] of reads.entries()) {
    await client.query(`PREPARE read_${i}(uuid[]) AS ${query.text}`);
    await client.query(`EXECUTE read_${i}(${idArray})`);
  }
  // … and kept while the tables grow.
  await db.pool.query(
    `INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method)
     SELECT gen_random_uuid(), 'u', 10.00, 'EUR', 'Bhubaneswar', 'card' FROM generate_series(1, 3000)`,
  );
  await db.pool.query(
    `INSERT INTO order_ledger (order_id, kind, amount, reason, cause) SELECT id, 'CAPTURE', 10.00, 'payment captured', 'c' FROM orders`,
  );
  await db.pool.query("INSERT INTO order_adjustment_causes (order_id, cause) SELECT id, 'c' FROM orders");
});

afterAll(async () => {
  client?.release();
  await db?.drop();
});

describe("the consumer's per-chunk reads of order child tables", () => {
  it.each(reads.map(([name], i) => [name, i] as const))(
    "%s: its generic plan does not filter every row of a scan by the chunk's id array",
    async (_, i) => {
      const { rows } = await client.query(`EXPLAIN EXECUTE read_${i}(${idArray})`);
      const plan = rows.map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"]).join("\n");
      expect(plan).not.toMatch(/Filter: \((\w+\.)?order_id = ANY/);
    },
  );
});
