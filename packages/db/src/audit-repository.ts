import type { OrderLine } from "@orders/domain";
import type { Queryable } from "./pool.ts";
import { rowsOf } from "./run.ts";
import { selectLines } from "./sql/adjustments.ts";
import * as audit from "./sql/audit.ts";

export interface OrderAuditRow {
  id: string;
  status: string;
  inventory_status: string;
  payment_status: string;
  delivery_status: string;
  version: number;
  created: number;
  confirmed: number;
  cancelled: number;
  unpublished: number;
  applied_rows: number;
  dup_causes: number;
  statuses: string[];
}

export const auditOrders = (db: Queryable, orderIds: readonly string[]) => rowsOf<OrderAuditRow>(db, audit.selectOrderAudit(orderIds));

export const outboxIdsOf = async (db: Queryable, orderIds: readonly string[]): Promise<string[]> =>
  (await rowsOf<{ id: string }>(db, audit.selectOutboxIdsOf(orderIds))).map((r) => r.id);

export const countUnpublishedOf = async (db: Queryable, orderIds: readonly string[]): Promise<number> =>
  (await rowsOf<{ n: number }>(db, audit.countUnpublishedOf(orderIds)))[0]?.n ?? 0;

export const processedMessageIds = async (db: Queryable, consumer: string, messageIds: readonly string[]): Promise<Set<string>> =>
  new Set((await rowsOf<{ message_id: string }>(db, audit.selectProcessedIds(consumer, messageIds))).map((r) => r.message_id));

export async function settledProgress(
  db: Queryable,
  orderIds: readonly string[],
): Promise<{ byStatus: Record<string, number>; settled: number }> {
  const rows = await rowsOf<{ status: string; n: number; settled: number }>(db, audit.selectSettledProgress(orderIds));
  return { byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])), settled: rows.reduce((s, r) => s + r.settled, 0) };
}

export const activityCounters = async (db: Queryable): Promise<string> =>
  JSON.stringify((await rowsOf(db, audit.selectActivityCounters()))[0]);

export const unsettledOrders = (db: Queryable, orderIds: readonly string[]) =>
  rowsOf<Record<string, unknown>>(db, audit.selectUnsettledOrders(orderIds));

export interface OrderTimeline {
  id: string;
  status: string;
  inventoryStatus: string;
  paymentStatus: string;
  deliveryStatus: string;
  timeline: string[];
}

export const orderTimelines = (db: Queryable, orderIds: readonly string[]) =>
  rowsOf<OrderTimeline>(db, audit.selectOrderTimelines(orderIds));

/** Locks the newest order's row in the caller's open transaction; its id, or null when there is none. */
export const lockNewestOrder = async (db: Queryable): Promise<string | null> =>
  (await rowsOf<{ id: string }>(db, audit.lockNewestOrder()))[0]?.id ?? null;

export const publishedDuring = async (
  db: Queryable,
  from: Date,
  to: Date,
  settleMs: number,
): Promise<{ created: number; published: number }> =>
  (await rowsOf<{ created: number; published: number }>(db, audit.countPublishedDuring(from, to, settleMs)))[0] ?? {
    created: 0,
    published: 0,
  };

/** Per order, its lines with their unit counters (the shape of the domain's OrderLine). */
export async function auditLines(db: Queryable, orderIds: readonly string[]): Promise<Map<string, OrderLine[]>> {
  const out = new Map<string, OrderLine[]>();
  for (const { orderId, ...line } of await rowsOf<OrderLine & { orderId: string }>(db, selectLines(orderIds))) {
    const lines = out.get(orderId) ?? [];
    lines.push(line);
    out.set(orderId, lines);
  }
  return out;
}
