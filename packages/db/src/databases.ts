import pg from "pg";

/** `url` with its database replaced by `database` (same server, user and options). */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function onServer(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(serverUrl, "postgres"), application_name: "order-service-admin" });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const checked = (name: string): string => {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain database name: ${name}`);
  return name;
};

/**
 * CREATE DATABASE on the server of `serverUrl`, optionally as a copy of `template` (a file
 * copy: ~50 ms for a migrated schema). Copying fails while another session is connected to the
 * template, so a copy is retried briefly. Returns the new database's URL.
 */
export async function createDatabase(serverUrl: string, name: string, options: { template?: string } = {}): Promise<string> {
  const text = `CREATE DATABASE ${checked(name)}${options.template ? ` TEMPLATE ${checked(options.template)}` : ""}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await onServer(serverUrl, text);
      return databaseUrl(serverUrl, name);
    } catch (error) {
      if (!options.template || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100 + attempt * 50));
    }
  }
}

/** DROP DATABASE IF EXISTS … WITH (FORCE): ends the sessions still connected to it. */
export const dropDatabase = (serverUrl: string, name: string): Promise<void> =>
  onServer(serverUrl, `DROP DATABASE IF EXISTS ${checked(name)} WITH (FORCE)`);
