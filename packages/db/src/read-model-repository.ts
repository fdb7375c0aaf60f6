import { fileURLToPath } from "node:url";
import { type OrderHistoryRow, projectOrder } from "@orders/domain";
import { migrate } from "./migrate.ts";
import type { OrderSummary } from "./orders-repository.ts";
import type { Pool, Queryable } from "./pool.ts";
import { rowsOf, run } from "./run.ts";
import * as sql from "./sql/read-model.ts";
import { withTransaction } from "./transaction.ts";

export type { OrderHistoryWrite, ReadModelEventRow } from "./sql/read-model.ts";

/** The read model's own migrations (issue 15), applied to the READ database only. */
export const READ_MODEL_MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations/read-model/", import.meta.url));

/** Same runner as the write side (one transaction, advisory lock, checksums), another folder and database. */
export const migrateReadModel = (readDatabaseUrl: string) => migrate(readDatabaseUrl, READ_MODEL_MIGRATIONS_DIR);

export interface ProjectResult {
  /** Events stored for the first time (the rest were duplicates). */
  readonly inserted: number;
  /** Orders whose history row was (re)written. */
  readonly orders: number;
}

/**
 * One chunk of `orders` records into the read model, in one transaction: store each event once per
 * (order, ce_sequence), then fold every touched order from all its stored events (projectOrder) and
 * upsert its row. Idempotent by sequence and independent of arrival order.
 */
export async function projectEvents(pool: Pool, events: readonly sql.ReadModelEventRow[]): Promise<ProjectResult> {
  if (events.length === 0) return { inserted: 0, orders: 0 };
  return withTransaction(pool, async (client) => {
    const inserted = await rowsOf<{ orderId: string }>(client, sql.insertReadModelEvents(events));
    const touched = [...new Set(inserted.map((r) => r.orderId))];
    if (touched.length === 0) return { inserted: 0, orders: 0 };
    const stored = await rowsOf<{ orderId: string; sequence: number; type: string; payload: Record<string, unknown>; occurredAt: string }>(
      client,
      sql.selectReadModelEvents(touched),
    );
    const byOrder = new Map<string, typeof stored>();
    for (const e of stored) byOrder.set(e.orderId, [...(byOrder.get(e.orderId) ?? []), e]);
    const rows: OrderHistoryRow[] = [];
    for (const [id, list] of byOrder) {
      const row = projectOrder(id, list);
      if (row) rows.push(row);
    }
    if (rows.length > 0) await run(client, sql.upsertOrderHistory(rows));
    return { inserted: inserted.length, orders: rows.length };
  });
}

export interface HistorySummary extends OrderSummary {
  readonly itemCount: number;
}

/** Keyset page of the read model, newest first (the write side's listOrders shape). */
export async function listOrderHistory(
  db: Queryable,
  filter: { userId?: string; status?: string; beforeId?: string; limit: number },
): Promise<{ items: HistorySummary[]; nextBeforeId: string | null }> {
  const rows = await rowsOf<HistorySummary>(db, sql.selectOrderHistoryPage({ ...filter, limit: filter.limit + 1 }));
  const items = rows.slice(0, filter.limit);
  return { items, nextBeforeId: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

/** Owner and projected version of an order; null when the read model has not seen its OrderCreated. */
export async function orderHistoryHead(db: Queryable, id: string): Promise<{ userId: string; version: number } | null> {
  const rows = await rowsOf<{ userId: string; version: number }>(db, sql.selectOrderHistoryHead(id));
  return rows[0] ?? null;
}

export interface StoredEvent {
  readonly orderId: string;
  readonly sequence: number;
  readonly eventId: string;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly occurredAt: string;
}

/** Every event of one order the read model holds, in sequence order (the timeline endpoint). */
export const orderEventsOf = (db: Queryable, id: string): Promise<StoredEvent[]> =>
  rowsOf<StoredEvent>(db, sql.selectReadModelEvents([id]));

/** Empties the read model (the first step of a rebuild). */
export async function resetReadModel(db: Queryable): Promise<void> {
  await run(db, sql.truncateReadModel());
}

export async function readModelCounts(db: Queryable): Promise<{ events: number; orders: number; ordersWithGaps: number }> {
  return (await rowsOf<{ events: number; orders: number; ordersWithGaps: number }>(db, sql.readModelCounts()))[0] as never;
}

/** The whole model in a canonical order: two equal dumps are the same read model. */
export const dumpReadModel = (db: Queryable): Promise<Record<string, unknown>[]> => rowsOf(db, sql.selectReadModelDump());

/** WRITE side: the order's current version (the `Order-Version` a changing response carries); null if none. */
export async function writeSideOrderVersion(db: Queryable, id: string): Promise<number | null> {
  const rows = await rowsOf<{ version: number }>(db, sql.selectWriteSideVersion(id));
  return rows[0]?.version ?? null;
}

/** WRITE side: the orders' events as the outbox numbered them (what every follower of `orders` must see). */
export const outboxEventsOf = (db: Queryable, orderIds: readonly string[]) =>
  rowsOf<{ orderId: string; sequence: number; eventId: string; type: string }>(db, sql.selectOutboxEventsOf(orderIds));

/** WRITE side: the orders' statuses and versions (what the read model must converge to). */
export const writeSideStates = (db: Queryable, orderIds: readonly string[]) =>
  rowsOf<{ id: string; status: string; inventoryStatus: string; paymentStatus: string; deliveryStatus: string; version: number }>(
    db,
    sql.selectWriteSideStates(orderIds),
  );
