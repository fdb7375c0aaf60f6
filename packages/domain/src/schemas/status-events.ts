import * as v from "valibot";
import { DELIVERY_STATUSES, INVENTORY_STATUSES, ORDER_STATUSES, PAYMENT_STATUSES } from "../lifecycle/statuses.ts";
import { ExternalIdSchema, IsoTimestampSchema, TextSchema, UuidSchema } from "./common.ts";

/*
 * Produced on `orders` for every applied step of an order (issue 15), besides the step's own event
 * if it has one (OrderConfirmed, OrderCancelled, the adjustment and payment events); a shipment, a
 * delivery, a reservation, a payment retry, a refund settled, a release publish only this. With it
 * every change of an order is on the topic, so a downstream service (notifications, the
 * order-history read model) can follow an order from `orders` alone. The payload is the order's
 * state after the step (all four statuses) and its version, the step's cause and the timeline
 * note. Strict, like the other produced events.
 */
export const OrderStatusChangedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  /** What caused the step: the consumed event's type (OrderShipped, PaymentFailed …) or the internal one (PendingTimeout …). */
  cause: v.pipe(TextSchema, v.minLength(1), v.maxLength(100)),
  /** The order status before the step (equal to `status` when only a sub-status moved). */
  previousStatus: v.picklist(ORDER_STATUSES),
  status: v.picklist(ORDER_STATUSES),
  inventoryStatus: v.picklist(INVENTORY_STATUSES),
  paymentStatus: v.picklist(PAYMENT_STATUSES),
  deliveryStatus: v.picklist(DELIVERY_STATUSES),
  /** The timeline note of the step ("shipped", "payment attempt 1 failed (…); retrying" …). */
  reason: TextSchema,
  /** The order's version after the step (1 is OrderCreated; each applied step adds 1): read-your-writes compares it. */
  version: v.pipe(v.number(), v.integer(), v.minValue(2)),
  changedAt: IsoTimestampSchema,
});

export type OrderStatusChangedPayload = v.InferOutput<typeof OrderStatusChangedSchema>;

export const STATUS_EVENT_SCHEMAS = { OrderStatusChanged: OrderStatusChangedSchema } as const;
