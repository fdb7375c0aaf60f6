import { inject } from "vitest";
import "./provided-context.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

/** A fresh, migrated database for one test file (call in beforeAll, drop in afterAll). */
export const freshDatabase = (label?: string): Promise<TestDatabase> =>
  createTestDatabase(inject("postgresUrl"), inject("templateDatabase"), label);

/** URL of the run's PostgreSQL server (database `postgres`), for tests that manage databases themselves. */
export const postgresServerUrl = (): string => inject("postgresUrl");
