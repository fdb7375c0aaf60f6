/** Status values, frozen and mirrored by CHECK constraints in migrations/0001_orders.sql (payment: 0090). */
export const ORDER_STATUSES = ["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"] as const;
export const INVENTORY_STATUSES = ["PENDING", "RESERVED", "FAILED", "RELEASED"] as const;
/**
 * ACTION_REQUIRED (issue 14): the last attempt was declined for good; the order stays PENDING with
 * its stock held until the customer starts another attempt or the window closes.
 */
export const PAYMENT_STATUSES = ["NOT_STARTED", "PENDING", "SUCCEEDED", "FAILED", "REFUNDED", "ACTION_REQUIRED"] as const;
export const DELIVERY_STATUSES = ["NOT_STARTED", "SHIPPED", "DELIVERED"] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type InventoryStatus = (typeof INVENTORY_STATUSES)[number];
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The part of an order the lifecycle decides on. */
export interface OrderState {
  readonly status: OrderStatus;
  readonly inventoryStatus: InventoryStatus;
  readonly paymentStatus: PaymentStatus;
  readonly deliveryStatus: DeliveryStatus;
}

export const INITIAL_ORDER_STATE: OrderState = Object.freeze({
  status: "PENDING",
  inventoryStatus: "PENDING",
  paymentStatus: "NOT_STARTED",
  deliveryStatus: "NOT_STARTED",
});
