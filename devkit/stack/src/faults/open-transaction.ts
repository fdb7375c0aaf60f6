import { lockNewestOrder, publishedDuring } from "@orders/db";
import pg from "pg";

export interface OpenTransactionResult {
  /** The order whose row was locked (null: none existed yet). */
  readonly lockedOrder: string | null;
  readonly heldMs: number;
  /** Each time the session was cut before its time (PostgreSQL restarted, a server-side timeout …). */
  readonly cuts: readonly string[];
  /**
   * For the longest uninterrupted hold: outbox rows written during it (but its last 10 s) and how
   * many were published by its end. (Counting across a cut would credit publishing done while no
   * transaction was open.)
   */
  readonly longestHoldMs: number;
  readonly created: number;
  readonly published: number;
}

const SETTLE_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One session: BEGIN, lock, wait until `until` or until the server cuts it. Returns why it ended early, if it did. */
async function holdOnce(
  databaseUrl: string,
  until: number,
  locked: { id: string | null },
  segments: { from: Date; to: Date }[],
): Promise<string | null> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "fault-open-transaction" });
  let cut: string | null = null;
  let closing = false;
  let from: Date | null = null;
  let onCut: () => void = () => {};
  const cutPromise = new Promise<void>((resolve) => {
    onCut = resolve;
  });
  client.on("error", (error) => {
    cut ??= error.message;
    onCut();
  });
  client.on("end", () => {
    if (!closing) cut ??= "session ended by the server";
    onCut();
  });
  try {
    await client.connect();
    await client.query("BEGIN");
    locked.id = (await lockNewestOrder(client)) ?? locked.id;
    from = new Date();
    await Promise.race([sleep(Math.max(0, until - Date.now())), cutPromise]);
    if (!cut) await client.query("ROLLBACK");
  } catch (error) {
    cut ??= (error as Error).message;
  } finally {
    if (from) segments.push({ from, to: new Date() });
    closing = true;
    await client.end().catch(() => {});
  }
  return cut;
}

/**
 * A session that holds a transaction open for `durationMs`: BEGIN, a row lock on the newest
 * order (which also gives it a transaction id, so it holds back the xmin horizon), then nothing.
 * When the session is cut (PostgreSQL restarted meanwhile) a new one takes over for the rest of
 * the time, so the hold lasts minutes whatever else happens. Afterwards it counts how many outbox
 * rows written meanwhile were published: an open transaction must not stall publishing for every
 * other order (issue 10 part 4).
 */
export async function holdTransaction(databaseUrl: string, durationMs: number, countOn: pg.Pool): Promise<OpenTransactionResult> {
  const from = new Date();
  const until = from.getTime() + durationMs;
  const locked = { id: null as string | null };
  const cuts: string[] = [];
  const segments: { from: Date; to: Date }[] = [];
  while (Date.now() < until - 1_000) {
    const cut = await holdOnce(databaseUrl, until, locked, segments);
    if (cut === null) break;
    cuts.push(`${((Date.now() - from.getTime()) / 1_000).toFixed(0)}s: ${cut}`);
    await sleep(1_000);
  }
  const to = new Date();
  const longest = segments.reduce<{ from: Date; to: Date } | null>(
    (best, s) => (!best || s.to.getTime() - s.from.getTime() > best.to.getTime() - best.from.getTime() ? s : best),
    null,
  );
  // PostgreSQL may be down right now (another fault): count once it answers.
  let counts = { created: 0, published: 0 };
  for (let attempt = 1; longest && attempt <= 60; attempt++) {
    try {
      counts = await publishedDuring(countOn, longest.from, longest.to, SETTLE_MS);
      break;
    } catch {
      await sleep(1_000);
    }
  }
  const longestHoldMs = longest ? longest.to.getTime() - longest.from.getTime() : 0;
  return { lockedOrder: locked.id, heldMs: to.getTime() - from.getTime(), cuts, longestHoldMs, ...counts };
}
