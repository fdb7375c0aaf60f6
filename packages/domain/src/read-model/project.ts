import { INITIAL_ORDER_STATE, type OrderState } from "../lifecycle/statuses.ts";

/**
 * The order-history read model's fold (issue 15), pure: an order's events as received from
 * `orders` (any order, duplicates already removed) → its history row, or null while its
 * OrderCreated has not arrived. The state is OrderCreated's plus the last OrderStatusChanged by
 * sequence (each carries the whole state and version after its step), so the result depends only
 * on the set of events — a replay, a rebuild or late events fold to the same row. Other types
 * (known or not) only move `updatedAt` and count for the sequence.
 */
export interface ProjectedEvent {
  readonly sequence: number;
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** ce_time. */
  readonly occurredAt: string;
}

export interface OrderHistoryRow extends OrderState {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly shippingAddress: string;
  readonly paymentMethod: string;
  readonly itemCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
  /** Highest n with 1..n all present. */
  readonly contiguous: number;
  readonly lastSequence: number;
}

const str = (x: unknown, fallback = ""): string => (typeof x === "string" ? x : fallback);

export function projectOrder(orderId: string, events: readonly ProjectedEvent[]): OrderHistoryRow | null {
  const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
  const created = sorted.find((e) => e.type === "OrderCreated");
  if (!created) return null;
  const p = created.payload;
  let state: OrderState = INITIAL_ORDER_STATE;
  let version = 1;
  let contiguous = 0;
  for (const e of sorted) {
    if (e.sequence === contiguous + 1) contiguous = e.sequence;
    if (e.type !== "OrderStatusChanged") continue;
    const s = e.payload;
    const v = typeof s.version === "number" ? s.version : version;
    if (v < version) continue;
    version = v;
    state = {
      status: s.status as OrderState["status"],
      inventoryStatus: s.inventoryStatus as OrderState["inventoryStatus"],
      paymentStatus: s.paymentStatus as OrderState["paymentStatus"],
      deliveryStatus: s.deliveryStatus as OrderState["deliveryStatus"],
    };
  }
  const last = sorted.at(-1) as ProjectedEvent;
  return {
    id: orderId,
    userId: str(p.userId),
    ...state,
    totalAmount: str(p.totalAmount, "0.00"),
    currency: str(p.currency),
    shippingAddress: str(p.shippingAddress),
    paymentMethod: str(p.paymentMethod),
    itemCount: Array.isArray(p.items) ? p.items.length : 0,
    createdAt: str(p.createdAt, created.occurredAt),
    updatedAt: last.occurredAt,
    version,
    contiguous,
    lastSequence: last.sequence,
  };
}

/**
 * Whether a customer is shown a timeline entry (GET /api/orders/{id}/timeline): the steps a
 * customer follows — placed, confirmed, cancelled, shipped, delivered, a payment needing action,
 * refunds, returns. Admins see every event (reservations, retries, releases, unknown types …).
 */
export function isCustomerFacing(type: string, payload: Readonly<Record<string, unknown>>): boolean {
  switch (type) {
    case "OrderCreated":
    case "OrderConfirmed":
    case "OrderCancelled":
    case "OrderLinesCancelled":
    case "ReturnRequested":
    case "ReturnReceived":
    case "RefundSettled":
    case "PaymentActionRequired":
      return true;
    case "OrderStatusChanged":
      // The order status moved to SHIPPED or DELIVERED (CONFIRMED / CANCELLED have their own event),
      // or a whole refund settled.
      return (
        (payload.status !== payload.previousStatus && (payload.status === "SHIPPED" || payload.status === "DELIVERED")) ||
        (payload.cause === "PaymentRefunded" && payload.paymentStatus === "REFUNDED")
      );
    default:
      return false;
  }
}
