/**
 * Development entry (`npm run start:local -w @orders/api`): without DATABASE_URL, starts a
 * throw-away local PostgreSQL, migrates it, then runs the production entry (main.ts) on it.
 * The embedded server is a devDependency: production images run main.ts and never load it.
 * local-postgres' guard stops the server when this process exits.
 */
import { migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";

if (!process.env.DATABASE_URL) {
  const pg = await startLocalPostgres();
  await migrate(pg.url);
  process.env.DATABASE_URL = pg.url;
  process.stderr.write(`DATABASE_URL not set: started a throw-away local PostgreSQL at ${pg.url}\n`);
}
await import("./main.ts");
