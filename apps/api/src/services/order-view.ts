import type { OrderDetail, OrderSummary } from "@orders/db";
import type { AttemptOrigin, AttemptStatus, PaymentMethod } from "@orders/domain";
import type { OrderSummaryView, OrderView } from "../schemas.ts";

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

/** The fields every order body starts with, in a fixed order (replays stay byte-identical). */
const orderFields = (o: OrderSummary) => ({
  id: o.id,
  userId: o.userId,
  status: o.status as OrderView["status"],
  inventoryStatus: o.inventoryStatus as OrderView["inventoryStatus"],
  paymentStatus: o.paymentStatus as OrderView["paymentStatus"],
  deliveryStatus: o.deliveryStatus as OrderView["deliveryStatus"],
  totalAmount: o.totalAmount,
  currency: o.currency,
  shippingAddress: o.shippingAddress,
  paymentMethod: o.paymentMethod as OrderView["paymentMethod"],
  createdAt: iso(o.createdAt),
  updatedAt: iso(o.updatedAt),
});

/** Database row → the JSON body of GET /api/orders/{id}. */
export const toOrderView = (o: OrderDetail): OrderView => ({
  ...orderFields(o),
  items: o.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice, lineTotal: i.lineTotal })),
  timeline: o.timeline.map((t) => ({ status: t.status as OrderView["status"], reason: t.reason, causedBy: t.causedBy, at: t.at })),
  // Issue 14: every attempt with its own key at the payment service, and the action-required deadline.
  paymentAttempts: (o.paymentAttempts ?? []).map((a) => ({
    ...a,
    method: a.method as PaymentMethod,
    status: a.status as AttemptStatus,
    origin: a.origin as AttemptOrigin,
  })),
  paymentActionDeadline: o.paymentActionDeadline ?? null,
});

export const toOrderSummaryView = (o: OrderSummary & { itemCount: number }): OrderSummaryView => ({
  ...orderFields(o),
  itemCount: o.itemCount,
});
