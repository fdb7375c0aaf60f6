import { startLocalPostgres } from "@orders/local-postgres";
import type { TestProject } from "vitest/node";
import { prepareTemplate } from "./test-database.ts";

import "./provided-context.ts";

/**
 * vitest globalSetup: a real PostgreSQL for the whole run — $DATABASE_URL when set (tests only
 * create and drop their own databases there), otherwise a throw-away local server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let serverUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!serverUrl) {
    const server = await startLocalPostgres();
    serverUrl = server.url;
    stop = () => server.stop();
  }
  await prepareTemplate(serverUrl);
  project.provide("postgresUrl", serverUrl);
  project.provide("templateDatabase", process.env.ORDER_SERVICE_TEMPLATE_DB as string);
  return stop;
}
