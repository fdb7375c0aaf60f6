import { createPool } from "@orders/db";
import { relayStatus } from "@orders/outbox-relay";
import { formatStatus } from "./format.ts";

export async function runStatus(databaseUrl: string, options: { json: boolean }): Promise<void> {
  const pool = createPool({ connectionString: databaseUrl, max: 3, applicationName: "relay-cli" });
  try {
    const status = await relayStatus(pool);
    process.stdout.write(options.json ? `${JSON.stringify(status)}\n` : formatStatus(status));
  } finally {
    await pool.end();
  }
}
