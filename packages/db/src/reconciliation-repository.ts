import type { OrderState } from "@orders/domain";
import type { Queryable } from "./pool.ts";
import { run } from "./run.ts";
import * as sql from "./sql/index.ts";

export interface PaymentReconcileCandidate {
  readonly id: string;
  readonly state: OrderState;
  /** Decimal string: what a refund gives back. */
  readonly totalAmount: string;
  readonly updatedAt: Date;
}

/** Orders whose payment may disagree with the payment service (see sql/reconciliation.ts). */
export async function paymentReconcileCandidates(
  db: Queryable,
  options: { readonly changedBefore: Date; readonly changedAfter: Date; readonly limit: number },
): Promise<PaymentReconcileCandidate[]> {
  const q = sql.selectPaymentReconcileCandidates(options.changedBefore, options.changedAfter, options.limit);
  const { rows } = await run(db, q);
  return (rows as (OrderState & { id: string; totalAmount: string; updatedAt: Date })[]).map((r) => ({
    id: r.id,
    totalAmount: r.totalAmount,
    updatedAt: r.updatedAt,
    state: { status: r.status, inventoryStatus: r.inventoryStatus, paymentStatus: r.paymentStatus, deliveryStatus: r.deliveryStatus },
  }));
}

/** Records that the service holds no capture for these cancelled orders (asked once, not again). */
export async function markPaymentChecked(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const q = sql.markPaymentChecked(ids);
  await run(db, q);
}
