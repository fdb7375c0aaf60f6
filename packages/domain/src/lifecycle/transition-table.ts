import type { DeliveryStatus, InventoryStatus, OrderStatus, PaymentStatus } from "./statuses.ts";

/**
 * The lifecycle as plain data (DESIGN §3). Each status lists the statuses it may move to;
 * anything not listed is refused by `transition()`. Terminal statuses list nothing.
 */
export const ORDER_TRANSITIONS = {
  PENDING: ["CONFIRMED", "CANCELLED"],
  CONFIRMED: ["SHIPPED", "CANCELLED"],
  // SHIPPED → CANCELLED: a cash-on-delivery parcel refused at the door (issue 14); its units come
  // back through the returns flow.
  SHIPPED: ["DELIVERED", "CANCELLED"],
  DELIVERED: [],
  CANCELLED: [],
} as const satisfies Record<OrderStatus, readonly OrderStatus[]>;

export const INVENTORY_TRANSITIONS = {
  // PENDING → RELEASED: an InventoryReleased that overtook its InventoryReserved (a producer
  // that reorders its output); the hold it would record is already gone.
  PENDING: ["RESERVED", "FAILED", "RELEASED"],
  // A reservation is released when the order is cancelled after stock was held.
  RESERVED: ["RELEASED"],
  FAILED: [],
  RELEASED: [],
} as const satisfies Record<InventoryStatus, readonly InventoryStatus[]>;

export const PAYMENT_TRANSITIONS = {
  // NOT_STARTED → SUCCEEDED/FAILED: a payment result that overtook the InventoryReserved
  // that triggered it (events on different topics are not ordered relative to each other).
  // → REFUNDED: a PaymentRefunded that overtook its PaymentSuccess on a cancelled order.
  // → ACTION_REQUIRED: a final decline (issue 14), also one that overtook the reservation.
  NOT_STARTED: ["PENDING", "SUCCEEDED", "FAILED", "REFUNDED", "ACTION_REQUIRED"],
  PENDING: ["SUCCEEDED", "FAILED", "REFUNDED", "ACTION_REQUIRED"],
  // The customer starts another attempt (→ PENDING), the window closes or the order is cancelled
  // (→ FAILED), or a capture of an earlier attempt shows up after all (a capture is a fact).
  ACTION_REQUIRED: ["PENDING", "SUCCEEDED", "FAILED", "REFUNDED"],
  SUCCEEDED: ["REFUNDED"],
  // FAILED → SUCCEEDED/REFUNDED: a capture is a fact, not a stale result. A payment closed as
  // failed (abandoned on a cancelled order, or failed after cancellation) can still be captured
  // by a charge already on its way; the order must learn of it to give the money back.
  FAILED: ["SUCCEEDED", "REFUNDED"],
  REFUNDED: [],
} as const satisfies Record<PaymentStatus, readonly PaymentStatus[]>;

export const DELIVERY_TRANSITIONS = {
  // NOT_STARTED → DELIVERED: an OrderDelivered that overtook its OrderShipped.
  NOT_STARTED: ["SHIPPED", "DELIVERED"],
  SHIPPED: ["DELIVERED"],
  DELIVERED: [],
} as const satisfies Record<DeliveryStatus, readonly DeliveryStatus[]>;

export const STATUS_TABLES = {
  status: ORDER_TRANSITIONS,
  inventoryStatus: INVENTORY_TRANSITIONS,
  paymentStatus: PAYMENT_TRANSITIONS,
  deliveryStatus: DELIVERY_TRANSITIONS,
} as const;

export type StatusField = keyof typeof STATUS_TABLES;

export type TransitionResult<S extends string> =
  | { readonly ok: true; readonly to: S }
  | { readonly ok: false; readonly reason: "ALREADY_IN_STATUS" | "TERMINAL_STATUS" | "NOT_ALLOWED"; readonly from: S; readonly to: S };

/** Pure: may `field` move from `from` to `to`? A refusal carries a stable reason code. */
export function transition<F extends StatusField>(field: F, from: string, to: string): TransitionResult<string> {
  const table = STATUS_TABLES[field] as Record<string, readonly string[]>;
  const allowed = table[from];
  if (allowed === undefined) throw new Error(`unknown ${field} value: ${from}`);
  if (!(to in table)) throw new Error(`unknown ${field} value: ${to}`);
  if (allowed.includes(to)) return { ok: true, to };
  if (from === to) return { ok: false, reason: "ALREADY_IN_STATUS", from, to };
  if (allowed.length === 0) return { ok: false, reason: "TERMINAL_STATUS", from, to };
  return { ok: false, reason: "NOT_ALLOWED", from, to };
}

/** Statuses reachable from `start` by following the table; used by the start-up check. */
export function reachableFrom(table: Record<string, readonly string[]>, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const to of table[next] ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/** Throws at module load if a table has a status no path reaches: a typo or a dead state. */
export function assertTablesConnected(): void {
  const starts: Record<StatusField, string> = {
    status: "PENDING",
    inventoryStatus: "PENDING",
    paymentStatus: "NOT_STARTED",
    deliveryStatus: "NOT_STARTED",
  };
  for (const [field, table] of Object.entries(STATUS_TABLES) as [StatusField, Record<string, readonly string[]>][]) {
    const reached = reachableFrom(table, starts[field]);
    const unreachable = Object.keys(table).filter((s) => !reached.has(s));
    if (unreachable.length > 0) throw new Error(`${field}: unreachable statuses ${unreachable.join(", ")}`);
  }
}

assertTablesConnected();
