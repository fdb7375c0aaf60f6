import { inject } from "vitest";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

/** A fresh, migrated database for one test file (call in beforeAll, drop in afterAll). */
export const freshDatabase = (label?: string): Promise<TestDatabase> =>
  createTestDatabase(inject("postgresUrl"), inject("templateDatabase"), label);
