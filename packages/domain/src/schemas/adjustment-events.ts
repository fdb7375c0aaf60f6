import * as v from "valibot";
import { CurrencySchema, ExternalIdSchema, IsoTimestampSchema, MoneySchema, TextSchema, UuidSchema } from "./common.ts";

/*
 * Produced on `orders` by partial cancellations, returns and refunds (issue 13). Strict, like
 * the other produced events. The inventory service releases the units of `OrderLinesCancelled`
 * and restocks the `restock` units of `ReturnReceived` (answering with that `restockId`).
 */

const Quantity = v.pipe(v.number(), v.integer(), v.minValue(1));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const LinesSchema = v.array(v.strictObject({ productId: ExternalIdSchema, quantity: Quantity }));
const RefIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(300));

export const OrderLinesCancelledSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  lines: LinesSchema,
  /** The cancelled units' value (their refund, when the payment was captured, is a RefundRequested). */
  amount: MoneySchema,
  currency: CurrencySchema,
  reason: TextSchema,
  cancelledAt: IsoTimestampSchema,
});

export const ReturnRequestedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  returnId: UuidSchema,
  lines: LinesSchema,
  reason: TextSchema,
  requestedAt: IsoTimestampSchema,
});

export const ReturnReceivedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  returnId: UuidSchema,
  lines: v.array(v.strictObject({ productId: ExternalIdSchema, received: Count, damaged: Count })),
  /** Good units to put back in stock; the inventory service answers InventoryRestocked with `restockId`. */
  restock: v.array(v.strictObject({ productId: ExternalIdSchema, quantity: Quantity })),
  restockId: v.nullable(RefIdSchema),
  receivedAt: IsoTimestampSchema,
});

export const RefundRequestedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  refundId: RefIdSchema,
  amount: MoneySchema,
  currency: CurrencySchema,
  reason: TextSchema,
  requestedAt: IsoTimestampSchema,
});

export const RefundSettledSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  refundId: RefIdSchema,
  amount: MoneySchema,
  currency: CurrencySchema,
  settledAt: IsoTimestampSchema,
});

export const ADJUSTMENT_EVENT_SCHEMAS = {
  OrderLinesCancelled: OrderLinesCancelledSchema,
  ReturnRequested: ReturnRequestedSchema,
  ReturnReceived: ReturnReceivedSchema,
  RefundRequested: RefundRequestedSchema,
  RefundSettled: RefundSettledSchema,
} as const;
