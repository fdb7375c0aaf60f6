import type { Money, PaymentAttempt, PaymentFacts, PaymentMethod } from "@orders/domain";
import type { Queryable } from "./pool.ts";
import * as sql from "./sql/index.ts";

/*
 * Thin repository of payment attempts (issue 14). The writer (@orders/lifecycle applyEvents) loads
 * them for the orders it has locked, decides, and writes back what changed, in its transaction.
 */

const run = (db: Queryable, q: sql.Query) => db.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export interface OrderPayment extends PaymentFacts {
  /** When the action-required window closes (null: never required). */
  readonly actionDeadline: string | null;
}

/** Method, deadline and attempts of each order (orders absent from the table are absent here). */
export async function loadPaymentFacts(db: Queryable, orderIds: readonly string[]): Promise<Map<string, OrderPayment>> {
  const out = new Map<string, OrderPayment>();
  if (orderIds.length === 0) return out;
  const heads = (await run(db, sql.selectPaymentHeads(orderIds))).rows as {
    orderId: string;
    method: PaymentMethod;
    actionDeadline: Date | null;
  }[];
  const rows = (await run(db, sql.selectPaymentAttempts(orderIds))).rows as (Omit<PaymentAttempt, "startedAt" | "decidedAt"> & {
    orderId: string;
    startedAt: Date;
    decidedAt: Date | null;
  })[];
  for (const h of heads) out.set(h.orderId, { method: h.method, actionDeadline: iso(h.actionDeadline), attempts: [] });
  for (const { orderId, ...r } of rows) {
    const o = out.get(orderId);
    if (!o) continue;
    const attempt: PaymentAttempt = {
      ...r,
      amount: r.amount as Money,
      startedAt: iso(r.startedAt) as string,
      decidedAt: iso(r.decidedAt),
    };
    out.set(orderId, { ...o, attempts: [...o.attempts, attempt] });
  }
  return out;
}

/** Writes the attempts that are new or changed between `before` and `after`, and new deadlines. */
export async function savePaymentFacts(
  db: Queryable,
  changes: readonly { orderId: string; before: OrderPayment; after: OrderPayment }[],
): Promise<void> {
  const rows: sql.PaymentAttemptRow[] = [];
  const deadlines: { orderId: string; deadline: string }[] = [];
  for (const { orderId, before, after } of changes) {
    if (before === after) continue;
    for (const a of after.attempts) {
      const old = before.attempts.find((b) => b.number === a.number);
      if (old && JSON.stringify(old) === JSON.stringify(a)) continue;
      rows.push({ orderId, ...a });
    }
    if (after.actionDeadline !== null && after.actionDeadline !== before.actionDeadline)
      deadlines.push({ orderId, deadline: after.actionDeadline });
  }
  if (rows.length > 0) await run(db, sql.upsertPaymentAttempts(rows));
  if (deadlines.length > 0) await run(db, sql.updatePaymentActionDeadlines(deadlines));
}

/** Orders whose action-required window closed before `now`, with that deadline (the expiry sweep). */
export async function paymentActionExpired(db: Queryable, now: Date, limit: number): Promise<{ id: string; deadline: string }[]> {
  const { rows } = await run(db, sql.selectPaymentActionExpired(now, limit));
  return rows.map((r: { id: string; deadline: Date }) => ({ id: r.id, deadline: new Date(r.deadline).toISOString() }));
}
