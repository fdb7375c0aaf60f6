import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPostgres, type LocalStandby, startLocalPostgres } from "../src/index.ts";

let primary: LocalPostgres;
let standby: LocalStandby;

const query = async <R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  primary = await startLocalPostgres();
  // Written before the base backup: it must be in the copy.
  await query(primary.url, "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'before')");
  standby = await primary.startStandby();
}, 180_000);

afterAll(async () => {
  await standby?.stop();
  await primary?.stop();
});

describe("a streaming standby of a local PostgreSQL", () => {
  it("is a read-only hot standby streaming from the primary on its own slot", async () => {
    expect(standby.port).not.toBe(primary.port);
    const [mode] = await query<{ recovery: boolean; ro: string }>(
      standby.url,
      "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro",
    );
    expect(mode).toEqual({ recovery: true, ro: "on" });
    await expect(query(standby.url, "INSERT INTO t VALUES (2, 'on the standby')")).rejects.toMatchObject({ code: "25006" });
    await expect
      .poll(() => query(primary.url, "SELECT slot_name, active FROM pg_replication_slots"), { timeout: 60_000 })
      .toEqual([{ slot_name: standby.slot, active: true }]);
    expect(await query(primary.url, "SELECT application_name, state FROM pg_stat_replication")).toEqual([
      { application_name: standby.slot, state: "streaming" },
    ]);
  });

  it("has what was written before the backup and replays what is written after it", async () => {
    expect(await query(standby.url, "SELECT id, note FROM t WHERE id = 1")).toEqual([{ id: 1, note: "before" }]);
    await query(primary.url, "INSERT INTO t SELECT g, 'after' FROM generate_series(2, 1001) g");
    await standby.caughtUp();
    expect(await query(standby.url, "SELECT count(*)::int AS n FROM t WHERE note = 'after'")).toEqual([{ n: 1000 }]);
  });

  it("drops its slot on the primary when stopped", async () => {
    await standby.stop();
    expect(await query(primary.url, "SELECT slot_name FROM pg_replication_slots")).toEqual([]);
  });
});
