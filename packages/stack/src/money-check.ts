import type { OrderAuditRow } from "@orders/db";

/** The payment simulator's own record of one order (GET /admin/ledger). */
export interface PaymentLedgerEntry {
  readonly orderId: string;
  readonly captured: boolean;
  readonly refunded: boolean;
}

/** The inventory simulator's stock ledger (GET /admin/ledger on the inventory service). */
export interface InventoryLedger {
  readonly orders: readonly {
    readonly orderId: string;
    readonly hold: "reserved" | "failed" | "silent" | "released";
    readonly lines: readonly { readonly productId: string; readonly quantity: number }[];
  }[];
  readonly products: readonly { readonly productId: string; readonly initial: number; readonly stock: number }[];
}

/** One broken invariant, named by order (null for a whole-system one such as a product's stock). */
export interface Violation {
  readonly orderId: string | null;
  /** Stable code: `money-lost`, `cancelled-payment-pending`, `not-settled` … (docs/reliability.md). */
  readonly kind: string;
  readonly detail: string;
  /** The order's timeline, filled in by the checker. */
  timeline?: readonly string[];
}

const SETTLED_CANCELLED_PAYMENT = new Set(["NOT_STARTED", "FAILED", "REFUNDED"]);

/**
 * The money and stock invariants of issue 10, read against the simulators' own ledgers (the
 * services' truth, not the database's belief):
 * - captured ⇒ the order is live (not CANCELLED) or refunded — else the customer paid for nothing;
 * - refunded ⇒ the order is CANCELLED (a delivered order keeps its money);
 * - every order settled: DELIVERED (captured, stock held), or CANCELLED with payment in
 *   NOT_STARTED/FAILED/REFUNDED, no capture left unrefunded and no stock left held;
 * - no order CANCELLED with payment PENDING;
 * - stock conserved: per product, initial − current = the lines still held, and exactly the
 *   delivered orders' lines are still held (reserved − released = shipped).
 */
export function moneyViolations(
  orders: readonly OrderAuditRow[],
  payments: readonly PaymentLedgerEntry[],
  inventory?: InventoryLedger,
): Violation[] {
  const out: Violation[] = [];
  const pay = new Map(payments.map((p) => [p.orderId, p]));
  const holds = new Map((inventory?.orders ?? []).map((h) => [h.orderId, h]));
  for (const o of orders) {
    const p = pay.get(o.id);
    const captured = p?.captured ?? false;
    const refunded = p?.refunded ?? false;
    const state = `${o.status} (inventory ${o.inventory_status}, payment ${o.payment_status}, delivery ${o.delivery_status})`;
    const v = (kind: string, detail: string) => out.push({ orderId: o.id, kind, detail: `${detail}; order ${state}` });
    if (o.status === "CANCELLED") {
      if (captured && !refunded) v("money-lost", "the payment service captured the money and never refunded it");
      if (o.payment_status === "PENDING") v("cancelled-payment-pending", "cancelled with payment still PENDING");
      else if (!SETTLED_CANCELLED_PAYMENT.has(o.payment_status)) v("not-settled", `cancelled with payment ${o.payment_status}`);
      if (o.inventory_status === "RESERVED") v("not-settled", "cancelled with inventory still RESERVED");
      if (inventory && holds.get(o.id)?.hold === "reserved") v("stock-held", "cancelled but the inventory service still holds its stock");
    } else if (o.status === "DELIVERED") {
      if (!captured) v("delivered-unpaid", "delivered but the payment service never captured");
      if (refunded) v("delivered-refunded", "delivered and refunded");
      if (inventory && holds.get(o.id)?.hold !== "reserved")
        v("delivered-without-stock", `delivered but the inventory service's hold is ${holds.get(o.id)?.hold ?? "missing"}`);
    } else {
      v("not-settled", "not in a final state");
      if (captured && refunded) v("refunded-live", "refunded while the order is live");
    }
  }
  if (inventory) {
    const held = new Map<string, number>();
    const shipped = new Map<string, number>();
    const delivered = new Set(orders.filter((o) => o.status === "DELIVERED").map((o) => o.id));
    for (const h of inventory.orders) {
      for (const l of h.lines) {
        if (h.hold === "reserved") held.set(l.productId, (held.get(l.productId) ?? 0) + l.quantity);
        if (delivered.has(h.orderId)) shipped.set(l.productId, (shipped.get(l.productId) ?? 0) + l.quantity);
      }
    }
    for (const p of inventory.products) {
      const taken = p.initial - p.stock;
      const h = held.get(p.productId) ?? 0;
      const s = shipped.get(p.productId) ?? 0;
      if (taken !== h || h !== s)
        out.push({
          orderId: null,
          kind: "stock-not-conserved",
          detail: `${p.productId}: initial − current = ${taken}, held by orders = ${h}, delivered = ${s}`,
        });
    }
  }
  return out;
}
