import { randomBytes } from "node:crypto";
import { inject } from "vitest";
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
