import type { AdjustmentState, LedgerEntry, Money, OrderLine, OrderStatus, ReturnRecord } from "@orders/domain";
import type { Queryable } from "./pool.ts";
import * as sql from "./sql/index.ts";

/*
 * Thin repository of an order's lines, money ledger and returns (issue 13). The writer
 * (@orders/lifecycle applyEvents) loads them for the orders it has locked, decides, and writes
 * back what changed — in its own transaction.
 */

const run = (db: Queryable, q: sql.Query) => db.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

const group = <T extends { orderId: string }>(rows: readonly T[]): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const r of rows) out.set(r.orderId, [...(out.get(r.orderId) ?? []), r]);
  return out;
};

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** Loads the adjustment state of `orders` (already locked by the caller); `status` is the lifecycle's. */
export async function loadAdjustmentStates(
  db: Queryable,
  orders: readonly { id: string; status: OrderStatus }[],
): Promise<Map<string, AdjustmentState>> {
  const ids = orders.map((o) => o.id);
  const out = new Map<string, AdjustmentState>();
  if (ids.length === 0) return out;
  // One client, one statement at a time (the caller's transaction).
  const rowsOf = async (query: sql.Query) => (await run(db, query)).rows;
  const lines = await rowsOf(sql.selectLines(ids));
  const ledger = await rowsOf(sql.selectLedger(ids));
  const returns = await rowsOf(sql.selectReturns(ids));
  const causes = await rowsOf(sql.selectCauses(ids));
  const delivered = await rowsOf(sql.selectDeliveredAt(ids));
  const linesBy = group(lines as (OrderLine & { orderId: string })[]);
  const ledgerBy = group(ledger as (LedgerEntry & { orderId: string })[]);
  const returnsBy = group(returns as (Omit<ReturnRecord, "requestedAt"> & { orderId: string; requestedAt: Date })[]);
  const causesBy = group(causes as { orderId: string; cause: string }[]);
  const deliveredBy = new Map((delivered as { orderId: string; deliveredAt: Date | null }[]).map((r) => [r.orderId, r.deliveredAt]));
  for (const o of orders) {
    out.set(o.id, {
      orderId: o.id,
      status: o.status,
      deliveredAt: iso(deliveredBy.get(o.id) ?? null),
      lines: (linesBy.get(o.id) ?? []).map(({ orderId: _, ...l }) => ({ ...l, unitPrice: l.unitPrice as Money })),
      ledger: (ledgerBy.get(o.id) ?? []).map((e) => ({
        kind: e.kind,
        amount: e.amount,
        reason: e.reason,
        cause: e.cause,
        refundId: e.refundId,
      })),
      returns: (returnsBy.get(o.id) ?? []).map(({ orderId: _, ...r }) => ({ ...r, requestedAt: new Date(r.requestedAt).toISOString() })),
      causes: (causesBy.get(o.id) ?? []).map((c) => c.cause),
    });
  }
  return out;
}

/** Writes what changed between `before` and `after` of each order (same order ids). */
export async function saveAdjustmentStates(
  db: Queryable,
  changes: readonly { before: AdjustmentState; after: AdjustmentState }[],
): Promise<void> {
  const changed = changes.filter((c) => c.before !== c.after);
  if (changed.length === 0) return;
  const lines: sql.LineQuantitiesRow[] = [];
  const ledger: sql.LedgerRow[] = [];
  const returns: sql.ReturnRow[] = [];
  const returnLines: sql.ReturnLineRow[] = [];
  const causes: { orderId: string; cause: string }[] = [];
  const delivered: { orderId: string; at: string }[] = [];
  for (const { before, after } of changed) {
    const orderId = after.orderId;
    for (const l of after.lines) {
      const old = before.lines.find((b) => b.productId === l.productId);
      if (old && JSON.stringify(old) === JSON.stringify(l)) continue;
      lines.push({ orderId, ...l });
    }
    for (const e of after.ledger.slice(before.ledger.length)) ledger.push({ orderId, ...e });
    for (const r of after.returns) {
      const old = before.returns.find((b) => b.id === r.id);
      if (old && JSON.stringify(old) === JSON.stringify(r)) continue;
      returns.push({ orderId, id: r.id, reason: r.reason, requestedAt: r.requestedAt, receipts: r.receipts });
      for (const l of r.lines) returnLines.push({ returnId: r.id, ...l });
    }
    for (const c of after.causes.slice(before.causes.length)) causes.push({ orderId, cause: c });
    if (after.deliveredAt !== null && before.deliveredAt === null) delivered.push({ orderId, at: after.deliveredAt });
  }
  if (lines.length > 0) await run(db, sql.updateLineQuantities(lines));
  if (ledger.length > 0) await run(db, sql.insertLedgerRows(ledger));
  if (returns.length > 0) await run(db, sql.upsertReturns(returns));
  if (returnLines.length > 0) await run(db, sql.upsertReturnLines(returnLines));
  if (causes.length > 0) await run(db, sql.insertCauses(causes));
  if (delivered.length > 0) await run(db, sql.updateDeliveredAt(delivered));
}

/** The amount the ledger requested under `refundId`, or null. */
export async function getRefundRequestAmount(db: Queryable, orderId: string, refundId: string): Promise<string | null> {
  const { rows } = await run(db, sql.selectRefundRequest(orderId, refundId));
  return (rows[0] as { amount: string } | undefined)?.amount ?? null;
}

/** An order's owner, currency and adjustment state (lines, ledger, returns), unlocked; null: no such order. */
export async function getOrderAdjustments(
  db: Queryable,
  id: string,
): Promise<{ userId: string; currency: string; state: AdjustmentState } | null> {
  const { rows } = await run(db, sql.selectOrderHead(id));
  const head = rows[0] as { userId: string; status: OrderStatus; currency: string } | undefined;
  if (!head) return null;
  const state = (await loadAdjustmentStates(db, [{ id, status: head.status }])).get(id) as AdjustmentState;
  return { userId: head.userId, currency: head.currency, state };
}

export interface OutstandingRefundRow {
  readonly orderId: string;
  readonly status: string;
  readonly paymentStatus: string;
  readonly refundId: string;
  readonly amount: string;
}

/** Partial refunds requested before `before` and not settled, oldest first. */
export async function outstandingRefundsBefore(db: Queryable, before: Date, limit: number): Promise<OutstandingRefundRow[]> {
  const { rows } = await run(db, sql.selectOutstandingRefunds(before, limit));
  return rows as OutstandingRefundRow[];
}

export interface LedgerSums {
  readonly orderId: string;
  readonly captured: string;
  readonly refunded: string;
  readonly refundRequested: string;
}

/** Per order: captured, refund requested and refund settled sums of the ledger. */
export async function ledgerSums(db: Queryable, orderIds: readonly string[]): Promise<LedgerSums[]> {
  if (orderIds.length === 0) return [];
  const { rows } = await run(db, sql.selectLedgerSums(orderIds));
  return rows as LedgerSums[];
}
