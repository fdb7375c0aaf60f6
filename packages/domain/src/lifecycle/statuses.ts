/** Status values, frozen and mirrored by CHECK constraints in migrations/0001_orders.sql. */
export const ORDER_STATUSES = ["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"] as const;
export const INVENTORY_STATUSES = ["PENDING", "RESERVED", "FAILED", "RELEASED"] as const;
export const PAYMENT_STATUSES = ["NOT_STARTED", "PENDING", "SUCCEEDED", "FAILED", "REFUNDED"] as const;
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
