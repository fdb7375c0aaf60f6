import type { OrderAuditRow } from "@orders/db";

/** The payment simulator's own record of one order (GET /admin/ledger). */
export interface PaymentLedgerEntry {
  readonly orderId: string;
  readonly captured: boolean;
  /** Everything captured was given back. */
  readonly refunded: boolean;
  /** Amounts (issue 13: partial refunds); absent from older simulators. */
  readonly capturedAmount?: string;
  readonly refundedAmount?: string;
}

/** The database's money ledger sums of one order (packages/db ledgerSums). */
export interface DbLedgerSums {
  readonly orderId: string;
  readonly captured: string;
  readonly refunded: string;
  readonly refundRequested: string;
}

/** "12.34" → 1234 (exact). */
const cents = (amount: string | undefined): number => {
  const [int = "0", frac = ""] = (amount ?? "0").split(".");
  return Number(int) * 100 + Number(frac.padEnd(2, "0").slice(0, 2));
};

/** The inventory simulator's stock ledger (GET /admin/ledger on the inventory service). */
export interface InventoryLedger {
  readonly orders: readonly {
    readonly orderId: string;
    readonly hold: "reserved" | "failed" | "silent" | "released";
    /** What the order still holds (partial cancellations released the rest). */
    readonly lines: readonly { readonly productId: string; readonly quantity: number }[];
    /** Returned units put back in stock (issue 13). */
    readonly restocked?: readonly { readonly productId: string; readonly quantity: number }[];
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

type Hold = InventoryLedger["orders"][number];

/**
 * A parcel that went out and came back through the returns flow (a refused cash-on-delivery
 * delivery, issue 14): the hold stays (the units left the shelf) and every unit was restocked.
 */
const cameBack = (h: Hold | undefined): boolean =>
  h !== undefined &&
  h.hold === "reserved" &&
  h.lines.length > 0 &&
  h.lines.every((l) => (h.restocked ?? []).filter((r) => r.productId === l.productId).reduce((n, r) => n + r.quantity, 0) === l.quantity);

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
  dbLedger?: readonly DbLedgerSums[],
): Violation[] {
  const out: Violation[] = [];
  const pay = new Map(payments.map((p) => [p.orderId, p]));
  const sums = new Map((dbLedger ?? []).map((l) => [l.orderId, l]));
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
      if (inventory && holds.get(o.id)?.hold === "reserved" && !cameBack(holds.get(o.id)))
        v("stock-held", "cancelled but the inventory service still holds its stock");
    } else if (o.status === "DELIVERED") {
      if (!captured) v("delivered-unpaid", "delivered but the payment service never captured");
      // With a money ledger, a fully returned order may be fully refunded: the amounts decide below.
      if (refunded && !sums.has(o.id)) v("delivered-refunded", "delivered and refunded");
      if (inventory && holds.get(o.id)?.hold !== "reserved")
        v("delivered-without-stock", `delivered but the inventory service's hold is ${holds.get(o.id)?.hold ?? "missing"}`);
    } else {
      v("not-settled", "not in a final state");
      if (captured && refunded) v("refunded-live", "refunded while the order is live");
    }
  }
  // Issue 13: what the customer finally paid agrees between the payment service and the ledger,
  // and every refund the ledger asked for was settled (refunded ≤ captured on both sides).
  for (const o of orders) {
    const l = sums.get(o.id);
    const p = pay.get(o.id);
    if (!l || p?.refundedAmount === undefined) continue;
    const serviceNet = (p.captured ? cents(p.capturedAmount) : 0) - cents(p.refundedAmount);
    const ledgerNet = cents(l.captured) - cents(l.refunded);
    if (serviceNet !== ledgerNet)
      out.push({ orderId: o.id, kind: "money-mismatch", detail: `payment service net ${serviceNet / 100}, ledger net ${ledgerNet / 100}` });
    if (cents(l.refundRequested) !== cents(l.refunded))
      out.push({ orderId: o.id, kind: "refund-outstanding", detail: `ledger requested ${l.refundRequested}, settled ${l.refunded}` });
    if (cents(l.refunded) > cents(l.captured) || serviceNet < 0)
      out.push({ orderId: o.id, kind: "over-refunded", detail: `ledger refunded ${l.refunded} of ${l.captured}` });
  }
  if (inventory) {
    const held = new Map<string, number>();
    const restocked = new Map<string, number>();
    const shipped = new Map<string, number>();
    // Shipped units: those of delivered orders and of cancelled ones whose parcel came back (restocked).
    const delivered = new Set(
      orders.filter((o) => o.status === "DELIVERED" || (o.status === "CANCELLED" && cameBack(holds.get(o.id)))).map((o) => o.id),
    );
    for (const h of inventory.orders) {
      for (const l of h.lines) {
        if (h.hold === "reserved") held.set(l.productId, (held.get(l.productId) ?? 0) + l.quantity);
        if (delivered.has(h.orderId)) shipped.set(l.productId, (shipped.get(l.productId) ?? 0) + l.quantity);
      }
      for (const r of h.restocked ?? []) restocked.set(r.productId, (restocked.get(r.productId) ?? 0) + r.quantity);
    }
    for (const p of inventory.products) {
      const taken = p.initial - p.stock;
      const h = held.get(p.productId) ?? 0;
      const s = shipped.get(p.productId) ?? 0;
      // Returned good units came back: stock taken = held by delivered orders − restocked.
      const r = restocked.get(p.productId) ?? 0;
      if (taken !== h - r || h !== s)
        out.push({
          orderId: null,
          kind: "stock-not-conserved",
          detail: `${p.productId}: initial − current = ${taken}, held by orders = ${h}, restocked = ${r}, delivered = ${s}`,
        });
    }
  }
  return out;
}
