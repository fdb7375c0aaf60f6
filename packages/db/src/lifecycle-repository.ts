import type { OrderState } from "@orders/domain";
import type { Queryable } from "./pool.ts";
import * as sql from "./sql/index.ts";

/*
 * Thin repository functions of the order lifecycle: each runs one statement. The writer that
 * composes them (decide, version check, follow-up jobs) is @orders/lifecycle's `applyEvents`.
 */

const run = (db: Queryable, q: sql.Query) => db.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

/** An order's lifecycle part as read under its row lock, with what its events carry. */
export interface LockedOrderRow {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly version: number;
  readonly state: OrderState;
}

/** Locks the orders (`FOR UPDATE`, id order: a fixed order avoids deadlocks); missing ids are absent. */
export async function lockOrderStates(db: Queryable, ids: readonly string[]): Promise<LockedOrderRow[]> {
  const { rows } = await run(db, sql.selectOrderStatesForUpdate(ids));
  return (rows as (OrderState & Omit<LockedOrderRow, "state">)[]).map((r) => ({
    id: r.id,
    userId: r.userId,
    totalAmount: r.totalAmount,
    currency: r.currency,
    version: r.version,
    state: { status: r.status, inventoryStatus: r.inventoryStatus, paymentStatus: r.paymentStatus, deliveryStatus: r.deliveryStatus },
  }));
}

/** Claims message ids in processed_messages; returns those that were new (the rest are duplicates). */
export async function claimMessageIds(db: Queryable, consumer: string, messageIds: readonly string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const { rows } = await run(db, sql.claimMessages(consumer, messageIds));
  return new Set((rows as { message_id: string }[]).map((r) => r.message_id));
}

/** Writes new states where the version is still the one read; returns how many rows it updated. */
export async function updateOrderStates(db: Queryable, rows: readonly sql.OrderStateRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  return (await run(db, sql.updateOrderStates(rows))).rowCount ?? 0;
}

/**
 * The orders' new states and their outbox rows in one statement (`sql.updateOrderStatesWithOutbox`:
 * one new version of each order row per chunk); returns how many orders it updated.
 */
export async function updateOrderStatesWithOutbox(
  db: Queryable,
  states: readonly sql.OrderStateRow[],
  rows: readonly sql.OutboxEventRow[],
): Promise<number> {
  if (states.length === 0 && rows.length === 0) return 0;
  const { rows: result } = await run(db, sql.updateOrderStatesWithOutbox(states, rows));
  return (result[0] as { updated: number }).updated;
}

export async function insertTimelineRows(db: Queryable, rows: readonly sql.TimelineRow[]): Promise<void> {
  if (rows.length > 0) await run(db, sql.insertHistoryRows(rows));
}

export async function insertOutboxRows(db: Queryable, rows: readonly sql.OutboxEventRow[]): Promise<void> {
  if (rows.length > 0) await run(db, sql.insertOutboxRows(rows));
}

/** Who owns an order (null: no such order). */
export async function getOrderOwner(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await run(db, sql.selectOrderOwner(id));
  return (rows[0] as { userId: string } | undefined)?.userId ?? null;
}

export interface OrderForPayment {
  readonly id: string;
  readonly userId: string;
  readonly status: string;
  readonly paymentStatus: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly paymentMethod: string;
}

export async function getOrderForPayment(db: Queryable, id: string): Promise<OrderForPayment | null> {
  const { rows } = await run(db, sql.selectOrderForPayment(id));
  return (rows[0] as OrderForPayment | undefined) ?? null;
}

/** Ids of orders still PENDING that were created before `cutoff` (the deadline sweep). */
export async function pendingOrdersCreatedBefore(db: Queryable, cutoff: Date, limit: number): Promise<string[]> {
  const { rows } = await run(db, sql.selectPendingCreatedBefore(cutoff, limit));
  return rows.map((r: { id: string }) => r.id);
}

/**
 * Retention of the inbox: deletes processed_messages rows recorded before `before`, in batches
 * (short transactions, no long lock), until none is left or `maxBatches` ran; returns how many.
 */
export async function deleteProcessedMessagesBefore(
  db: Queryable,
  before: Date,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5_000;
  let total = 0;
  for (let i = 0; i < (options.maxBatches ?? 100); i++) {
    const { rowCount } = await run(db, sql.deleteProcessedMessagesBefore(before, batchSize));
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) break;
  }
  return total;
}
