import { afterAll, beforeAll, inject } from "vitest";
import "./provided-context.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

/** A fresh, migrated database for one test file (call in beforeAll, drop in afterAll). */
export const freshDatabase = (label?: string): Promise<TestDatabase> =>
  createTestDatabase(inject("postgresUrl"), inject("templateDatabase"), label);

/**
 * A fresh, migrated database for the whole test file: created in a beforeAll, dropped in an
 * afterAll, both registered here (call at the top of the file, before the file's own hooks, so it
 * exists in them and is dropped after them). The object reads through to the database, so
 * `db.url`, `db.pool` and `db.name` work in hooks and tests (not at module load).
 */
export function useFreshDatabase(label?: string): TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await freshDatabase(label);
  });
  afterAll(async () => {
    await current?.drop();
  });
  const get = (): TestDatabase => {
    if (!current) throw new Error("useFreshDatabase: the database exists only once the file's beforeAll has run");
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get name() {
      return get().name;
    },
    get pool() {
      return get().pool;
    },
    drop: () => get().drop(),
  };
}

/** URL of the run's PostgreSQL server (database `postgres`), for tests that manage databases themselves. */
export const postgresServerUrl = (): string => inject("postgresUrl");
