import type { OrderState, OrderStatus } from "./lifecycle/statuses.ts";
import type { Money } from "./money.ts";
import { orderTotal } from "./money.ts";
import type { OrderCancelledPayload, OrderConfirmedPayload, OrderCreatedPayload } from "./schemas/events.ts";
import type { PaymentMethod } from "./schemas/order-request.ts";
import type { OrderStatusChangedPayload } from "./schemas/status-events.ts";

/** Outbox `aggregatetype` of every event this service produces. */
export const ORDER_AGGREGATE = "Order";

export interface PricedItem {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: Money;
}

/** An order as it is about to be written: prices already quoted, ids already chosen. */
export interface NewOrder {
  readonly id: string;
  readonly userId: string;
  readonly items: readonly PricedItem[];
  readonly currency: string;
  readonly shippingAddress: string;
  readonly paymentMethod: PaymentMethod;
  readonly createdAt: Date;
}

export const newOrderTotal = (order: NewOrder): Money => orderTotal(order.items);

export const orderCreatedPayload = (order: NewOrder): OrderCreatedPayload => ({
  orderId: order.id,
  userId: order.userId,
  items: order.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice })),
  totalAmount: newOrderTotal(order),
  currency: order.currency,
  shippingAddress: order.shippingAddress,
  paymentMethod: order.paymentMethod,
  createdAt: order.createdAt.toISOString(),
});

export const orderConfirmedPayload = (
  o: { id: string; userId: string; totalAmount: string; currency: string },
  at: Date,
): OrderConfirmedPayload => ({
  orderId: o.id,
  userId: o.userId,
  totalAmount: o.totalAmount,
  currency: o.currency,
  confirmedAt: at.toISOString(),
});

export const orderCancelledPayload = (
  o: { id: string; userId: string },
  reason: string,
  refund: boolean,
  at: Date,
): OrderCancelledPayload => ({ orderId: o.id, userId: o.userId, reason, refund, cancelledAt: at.toISOString() });

/** The event every applied step of an order publishes (docs/kafka.md). */
export const ORDER_STATUS_CHANGED = "OrderStatusChanged";

/** OrderStatusChanged: the order's state and version after an applied step (issue 15). */
export const orderStatusChangedPayload = (
  o: { id: string; userId: string; state: OrderState; version: number },
  change: { cause: string; previousStatus: OrderStatus; reason: string },
  at: Date,
): OrderStatusChangedPayload => ({
  orderId: o.id,
  userId: o.userId,
  cause: change.cause,
  previousStatus: change.previousStatus,
  status: o.state.status,
  inventoryStatus: o.state.inventoryStatus,
  paymentStatus: o.state.paymentStatus,
  deliveryStatus: o.state.deliveryStatus,
  reason: change.reason,
  version: o.version,
  changedAt: at.toISOString(),
});
