import { freshDatabase, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminPool } from "../src/outbox-cdc.ts";

/*
 * Issue 12, defect 7: `./dev test` exited 1 from an unhandled 57P01 in the Debezium parity
 * test's teardown. The CDC's admin pool must survive the server ending its idle connections
 * (a forced DROP DATABASE, PostgreSQL stopping): no uncaught error, and it works again after.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("adminpool");
});
afterAll(() => db.drop());

describe("the CDC admin pool", () => {
  it("tolerates the server terminating its idle connections (57P01) and reconnects", async () => {
    const pool = adminPool(db.url);
    try {
      await Promise.all([pool.query("SELECT pg_sleep(0.05)"), pool.query("SELECT pg_sleep(0.05)")]);
      expect(pool.idleCount).toBe(2);
      const { rows } = await db.pool.query(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'outbox-cdc-admin' AND datname = current_database()",
      );
      expect(rows[0].n).toBe(2);
      await expect.poll(() => pool.idleCount, { timeout: 5_000 }).toBe(0);
      expect((await pool.query("SELECT 1 AS ok")).rows[0].ok).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
