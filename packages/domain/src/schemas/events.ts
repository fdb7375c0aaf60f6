import * as v from "valibot";
import { ADJUSTMENT_EVENT_SCHEMAS } from "./adjustment-events.ts";
import { CurrencySchema, ExternalIdSchema, IsoTimestampSchema, MoneySchema, storableText, TextSchema, UuidSchema } from "./common.ts";
import { PAYMENT_METHODS } from "./order-request.ts";
import { PAYMENT_EVENT_SCHEMAS } from "./payment-events.ts";
import { STATUS_EVENT_SCHEMAS } from "./status-events.ts";

/*
 * Kafka payloads (DESIGN §5). Produced events are strict: we control them and consumers rely
 * on their exact shape. Consumed events are loose: other services may add fields, and the
 * envelope may carry `id`/`type` when a producer cannot set CloudEvents headers.
 */

// ---- produced on `orders` ------------------------------------------------------------------

export const OrderCreatedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  items: v.array(
    v.strictObject({
      productId: ExternalIdSchema,
      quantity: v.pipe(v.number(), v.integer(), v.minValue(1)),
      unitPrice: MoneySchema,
    }),
  ),
  totalAmount: MoneySchema,
  currency: CurrencySchema,
  shippingAddress: TextSchema,
  paymentMethod: v.picklist(PAYMENT_METHODS),
  createdAt: IsoTimestampSchema,
});

export const OrderConfirmedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  totalAmount: MoneySchema,
  currency: CurrencySchema,
  confirmedAt: IsoTimestampSchema,
});

export const OrderCancelledSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  reason: TextSchema,
  /** Whether a captured payment will be refunded (the inventory side always releases). */
  refund: v.boolean(),
  cancelledAt: IsoTimestampSchema,
});

export const PRODUCED_EVENT_SCHEMAS = {
  OrderCreated: OrderCreatedSchema,
  OrderConfirmed: OrderConfirmedSchema,
  OrderCancelled: OrderCancelledSchema,
  ...ADJUSTMENT_EVENT_SCHEMAS,
  ...STATUS_EVENT_SCHEMAS,
  ...PAYMENT_EVENT_SCHEMAS,
} as const;

export type OrderCreatedPayload = v.InferOutput<typeof OrderCreatedSchema>;
export type OrderConfirmedPayload = v.InferOutput<typeof OrderConfirmedSchema>;
export type OrderCancelledPayload = v.InferOutput<typeof OrderCancelledSchema>;
export type ProducedEventName = keyof typeof PRODUCED_EVENT_SCHEMAS;

// ---- consumed from `inventory`, `payments`, `deliveries` -----------------------------------

const envelope = {
  /** Fallbacks when the record has no ce_id / ce_type headers. */
  id: v.optional(v.pipe(v.string(), storableText(), v.minLength(1), v.maxLength(200))),
  type: v.optional(TextSchema),
  orderId: UuidSchema,
};

export const InventoryReservedSchema = v.looseObject({ ...envelope });
export const InventoryFailureSchema = v.looseObject({ ...envelope, reason: v.pipe(v.string(), storableText(), v.maxLength(1000)) });
export const InventoryReleasedSchema = v.looseObject({ ...envelope });
export const PaymentSuccessSchema = v.looseObject({
  ...envelope,
  paymentId: TextSchema,
  amount: MoneySchema,
  /** The attempt that captured (issue 14; absent from older producers). */
  attempt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
export const PaymentFailedSchema = v.looseObject({
  ...envelope,
  reason: v.pipe(v.string(), storableText(), v.maxLength(1000)),
  retryable: v.boolean(),
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
export const PaymentRefundedSchema = v.looseObject({
  ...envelope,
  paymentId: TextSchema,
  /** This refund's amount (a partial refund's, or the whole remainder's). */
  amount: MoneySchema,
  /** The refund id the refund was asked under (our Idempotency-Key); absent: the whole refund `refund:<order id>`. */
  refundId: v.optional(v.pipe(v.string(), storableText(), v.minLength(1), v.maxLength(300))),
});
/** The inventory service put a return's good units back in stock (answer to ReturnReceived). */
export const InventoryRestockedSchema = v.looseObject({
  ...envelope,
  restockId: v.pipe(v.string(), storableText(), v.minLength(1), v.maxLength(300)),
  lines: v.pipe(
    v.array(v.looseObject({ productId: ExternalIdSchema, quantity: v.pipe(v.number(), v.integer(), v.minValue(1)) })),
    v.minLength(1),
  ),
});
export const OrderShippedSchema = v.looseObject({ ...envelope, trackingId: TextSchema });
export const OrderDeliveredSchema = v.looseObject({ ...envelope });
/** The customer refused a cash-on-delivery parcel (issue 14). */
export const DeliveryRefusedSchema = v.looseObject({
  ...envelope,
  reason: v.optional(v.pipe(v.string(), storableText(), v.maxLength(1000))),
});

export const CONSUMED_EVENT_SCHEMAS = {
  InventoryReserved: InventoryReservedSchema,
  InventoryFailure: InventoryFailureSchema,
  InventoryReleased: InventoryReleasedSchema,
  InventoryRestocked: InventoryRestockedSchema,
  PaymentSuccess: PaymentSuccessSchema,
  PaymentFailed: PaymentFailedSchema,
  PaymentRefunded: PaymentRefundedSchema,
  OrderShipped: OrderShippedSchema,
  OrderDelivered: OrderDeliveredSchema,
  DeliveryRefused: DeliveryRefusedSchema,
} as const;

export type ConsumedEventName = keyof typeof CONSUMED_EVENT_SCHEMAS;
export type ConsumedEvent = {
  [K in ConsumedEventName]: { type: K; payload: v.InferOutput<(typeof CONSUMED_EVENT_SCHEMAS)[K]> };
}[ConsumedEventName];

export const isConsumedEventName = (name: string): name is ConsumedEventName => Object.hasOwn(CONSUMED_EVENT_SCHEMAS, name);
