import type { Query } from "./query.ts";

// ——— PostgreSQL's replication catalog (OUTBOX_MODE=debezium): the connector's slot and publication ———

/** The slot's flags and how far it is behind the current WAL position, in bytes. */
export const selectSlotState = (slotName: string): Query => ({
  text: `SELECT slot_name, active, confirmed_flush_lsn::text, restart_lsn::text,
                COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint AS retained_bytes,
                COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint AS lag_bytes
           FROM pg_replication_slots WHERE slot_name = $1`,
  values: [slotName],
});

/** `a − b` in bytes, computed by PostgreSQL. */
export const selectLsnDiff = (a: string, b: string): Query => ({
  text: "SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint AS d",
  values: [a, b],
});

/** Fails while a walsender still holds the slot. */
export const dropReplicationSlot = (slotName: string): Query => ({
  text: "SELECT pg_drop_replication_slot($1)",
  values: [slotName],
});

/** DDL takes no parameters: the name is quoted as an identifier here, the one place it is built. */
export const dropPublication = (publicationName: string): Query => ({
  text: `DROP PUBLICATION IF EXISTS "${publicationName.replaceAll('"', '""')}"`,
  values: [],
});
