import type { Queryable } from "./pool.ts";
import { run } from "./run.ts";
import * as sql from "./sql/index.ts";

/** A logical replication slot as the operator watches it (docs/operations.md, slot lag). */
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

export async function getSlotState(db: Queryable, slotName: string): Promise<SlotState | undefined> {
  const { rows } = await run(db, sql.selectSlotState(slotName));
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

/** `a − b` in bytes. */
export async function lsnDiff(db: Queryable, a: string, b: string): Promise<number> {
  const { rows } = await run(db, sql.selectLsnDiff(a, b));
  return Number((rows[0] as { d: string }).d);
}

/** Drops an inactive slot; false when PostgreSQL refused (still active, or already gone). */
export async function dropReplicationSlot(db: Queryable, slotName: string): Promise<boolean> {
  return run(db, sql.dropReplicationSlot(slotName)).then(
    () => true,
    () => false,
  );
}

export async function dropPublication(db: Queryable, publicationName: string): Promise<void> {
  await run(db, sql.dropPublication(publicationName));
}
