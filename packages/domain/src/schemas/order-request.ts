import * as v from "valibot";
import { ExternalIdSchema, storableText } from "./common.ts";

export const PAYMENT_METHODS = ["card", "upi", "netbanking", "wallet", "cod"] as const;
export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 1000;

export const OrderItemRequestSchema = v.strictObject({
  productId: ExternalIdSchema,
  quantity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_QUANTITY)),
});

/** Body of POST /api/orders (DESIGN §4). Unknown fields are rejected. */
export const CreateOrderRequestSchema = v.pipe(
  v.strictObject({
    userId: ExternalIdSchema,
    items: v.pipe(v.array(OrderItemRequestSchema), v.minLength(1), v.maxLength(MAX_ITEMS)),
    shippingAddress: v.pipe(v.string(), storableText(), v.trim(), v.minLength(1), v.maxLength(500)),
    paymentMethod: v.picklist(PAYMENT_METHODS),
  }),
  v.forward(
    v.check((order) => new Set(order.items.map((i) => i.productId)).size === order.items.length, "productIds must be distinct"),
    ["items"],
  ),
);

export type CreateOrderRequest = v.InferOutput<typeof CreateOrderRequestSchema>;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
