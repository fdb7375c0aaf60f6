import { createPool, notifyOutboxInserted, unparkOutboxRows } from "@orders/db";

/** Un-parks rows; the running relays pick them up on their next sweep (the UPDATE wakes nobody). */
export async function runRetryFailed(databaseUrl: string, options: { json: boolean; aggregateId: string | null }): Promise<void> {
  const pool = createPool({ connectionString: databaseUrl, max: 2, applicationName: "relay-cli" });
  try {
    const unparked = await unparkOutboxRows(pool, options.aggregateId);
    // Wake the relays now rather than at their next sweep.
    await notifyOutboxInserted(pool);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ unparked, aggregateId: options.aggregateId })}\n`
        : `un-parked ${unparked} row${unparked === 1 ? "" : "s"}${options.aggregateId ? ` of order ${options.aggregateId}` : ""}; the relay publishes them next\n`,
    );
  } finally {
    await pool.end();
  }
}
