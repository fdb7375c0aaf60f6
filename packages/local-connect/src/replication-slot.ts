import type pg from "pg";

/**
 * Queries on PostgreSQL's replication catalog (not application data, so they live with the
 * connector tooling rather than in packages/db): how far the connector's slot is behind.
 */
export type SlotState = {
  slotName: string;
  active: boolean;
  /** The LSN up to which the connector has confirmed (committed Kafka offsets for) changes. */
  confirmedFlushLsn: string | null;
  restartLsn: string | null;
  /** WAL bytes the server keeps for this slot (current WAL position − restart_lsn). */
  retainedBytes: number;
  /** Bytes between the current WAL position and confirmed_flush_lsn. */
  lagBytes: number;
};

export const selectSlotState = (slotName: string) => ({
  text: `SELECT slot_name, active, confirmed_flush_lsn::text, restart_lsn::text,
                COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint AS retained_bytes,
                COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint AS lag_bytes
           FROM pg_replication_slots WHERE slot_name = $1`,
  values: [slotName],
});

export async function slotState(db: pg.Pool | pg.Client, slotName: string): Promise<SlotState | undefined> {
  const { rows } = await db.query(selectSlotState(slotName));
  const r = rows[0] as
    | {
        slot_name: string;
        active: boolean;
        confirmed_flush_lsn: string | null;
        restart_lsn: string | null;
        retained_bytes: string;
        lag_bytes: string;
      }
    | undefined;
  if (!r) return undefined;
  return {
    slotName: r.slot_name,
    active: r.active,
    confirmedFlushLsn: r.confirmed_flush_lsn,
    restartLsn: r.restart_lsn,
    retainedBytes: Number(r.retained_bytes),
    lagBytes: Number(r.lag_bytes),
  };
}

/** Waits until the connector's task holds the slot (it streams from then on). */
export async function waitForActiveSlot(db: pg.Pool | pg.Client, slotName: string, timeoutMs = 60_000): Promise<SlotState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await slotState(db, slotName);
    if (state?.active) return state;
    if (Date.now() > deadline) throw new Error(`local-connect: slot ${slotName} not active within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `lsnA − lsnB` in bytes, computed by PostgreSQL. */
export async function lsnDiff(db: pg.Pool | pg.Client, a: string, b: string): Promise<number> {
  const { rows } = await db.query({ text: "SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint AS d", values: [a, b] });
  return Number((rows[0] as { d: string }).d);
}

/** Drops the slot (waiting for the walsender to let go) and the publication: clean removal of a connector. */
export async function dropSlotAndPublication(db: pg.Pool | pg.Client, slotName: string, publicationName: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await slotState(db, slotName);
    if (!state) break;
    if (!state.active) {
      await db.query({ text: "SELECT pg_drop_replication_slot($1)", values: [slotName] }).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) throw new Error(`local-connect: slot ${slotName} still active; stop the connector first`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await db.query(`DROP PUBLICATION IF EXISTS "${publicationName.replaceAll('"', '""')}"`);
}
