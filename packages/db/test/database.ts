import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { createDatabase, createPool, dropDatabase, type Pool } from "../src/index.ts";

// Provided by the run's global setup (vitest.shared.ts): db's own tests use the run's server
// without importing @orders/testkit, which depends on db (no package cycle).
declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
    templateDatabase: string;
  }
}

export const postgresServerUrl = (): string => inject("postgresUrl");

/** A migrated database of this test file's own, cloned from the run's template. */
export async function freshDatabase(label: string): Promise<{ url: string; pool: Pool; drop(): Promise<void> }> {
  const name = `db_${label}_${randomBytes(4).toString("hex")}`;
  const url = await createDatabase(postgresServerUrl(), name, { template: inject("templateDatabase") });
  const pool = createPool({ connectionString: url, max: 20, applicationName: `test-${label}` });
  return { url, pool, drop: () => pool.end().then(() => dropDatabase(postgresServerUrl(), name)) };
}

export type TestDatabase = Awaited<ReturnType<typeof freshDatabase>>;

/**
 * This file's database and `sessions`, a pool of extra connections for transactions a test holds
 * open (never cut by an idle-in-transaction timeout): created in a beforeAll, closed and dropped
 * in an afterAll. Read `fixture.db` and `fixture.sessions` in hooks and tests.
 */
export function useDatabaseWithSessions(label: string, max: number) {
  let db: TestDatabase | undefined;
  let sessions: pg.Pool | undefined;
  beforeAll(async () => {
    db = await freshDatabase(label);
    sessions = new pg.Pool({ connectionString: db.url, max, idle_in_transaction_session_timeout: 0 });
    // As createPool does: the afterAll's DROP DATABASE … WITH (FORCE) can reach a client that
    // pool.end() is still closing, and its FATAL 57P01 must not become an uncaught exception
    // that fails the run outside any test (seen once in fresh-ci: 3 such errors, 0 failed tests).
    sessions.on("error", () => {});
    sessions.on("connect", (client) => {
      client.on("error", () => {});
    });
  });
  afterAll(async () => {
    await sessions?.end();
    await db?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useDatabaseWithSessions: available once the file's beforeAll has run");
    return value;
  };
  return {
    get db() {
      return ready(db);
    },
    get sessions() {
      return ready(sessions);
    },
  };
}
