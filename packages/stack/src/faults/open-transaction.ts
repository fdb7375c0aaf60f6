import { lockNewestOrder, publishedDuring } from "@orders/db";
import pg from "pg";

export interface OpenTransactionResult {
  /** The order whose row was locked (null: none existed yet). */
  readonly lockedOrder: string | null;
  readonly heldMs: number;
  /** Why the hold ended before its time (the server cut the session, PostgreSQL restarted …). */
  readonly endedEarly: string | null;
  /** Outbox rows written during the hold (but its last 10 s) and how many were published by its end. */
  readonly created: number;
  readonly published: number;
}

const SETTLE_MS = 10_000;

/**
 * A session that holds a transaction open for `durationMs`: BEGIN, a row lock on the newest
 * order (which also gives it a transaction id, so it holds back the xmin horizon), then nothing.
 * Afterwards it counts how many outbox rows written meanwhile got published: an open transaction
 * anywhere must not stall publishing for every other order (issue 10 part 4).
 */
export async function holdTransaction(databaseUrl: string, durationMs: number, countOn: pg.Pool): Promise<OpenTransactionResult> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "fault-open-transaction" });
  let endedEarly: string | null = null;
  let ended: () => void = () => {};
  const cut = new Promise<void>((resolve) => {
    ended = resolve;
  });
  client.on("error", (error) => {
    endedEarly ??= `session error: ${error.message}`;
    ended();
  });
  client.on("end", () => {
    endedEarly ??= "session ended by the server";
    ended();
  });
  const from = new Date();
  let lockedOrder: string | null = null;
  try {
    await client.connect();
    await client.query("BEGIN");
    lockedOrder = await lockNewestOrder(client);
    await Promise.race([new Promise((r) => setTimeout(r, durationMs)), cut]);
    if (!endedEarly) await client.query("ROLLBACK");
  } catch (error) {
    endedEarly ??= `session error: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
  const to = new Date();
  // PostgreSQL may be down right now (another fault): count once it answers.
  let counts = { created: 0, published: 0 };
  for (let attempt = 1; attempt <= 60; attempt++) {
    try {
      counts = await publishedDuring(countOn, from, to, SETTLE_MS);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  return { lockedOrder, heldMs: to.getTime() - from.getTime(), endedEarly, ...counts };
}
