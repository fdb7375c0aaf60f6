import {
  ATTEMPT_ORIGINS,
  ATTEMPT_STATUSES,
  CurrencySchema,
  DELIVERY_STATUSES,
  ExternalIdSchema,
  FULFILMENT_STATUSES,
  INVENTORY_STATUSES,
  MONEY_STATUSES,
  ORDER_STATUSES,
  PAYMENT_METHODS,
  PAYMENT_STATUSES,
  RETURN_STATUSES,
  TextSchema,
  UuidSchema,
} from "@orders/domain";
import * as v from "valibot";

/*
 * Every request and response shape of the HTTP API as valibot schemas: requests are validated
 * with them and the OpenAPI document is generated from them (src/openapi/), one source of truth.
 * The create-order body is CreateOrderRequestSchema from @orders/domain.
 */

/** Money on the wire: decimal string (a regex so it survives JSON Schema conversion). */
const Money = v.pipe(v.string(), v.regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/), v.description('decimal string, e.g. "123.45"'));
const Timestamp = v.pipe(v.string(), v.isoTimestamp());

export const OrderIdParamSchema = UuidSchema;
export const UserIdParamSchema = ExternalIdSchema;

/** 1–255 printable ASCII characters, scoped per user. */
export const IdempotencyKeySchema = v.pipe(
  v.string("Idempotency-Key header is required"),
  v.regex(/^[\x20-\x7E]{1,255}$/, "must be 1–255 printable ASCII characters"),
);

export const LimitSchema = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^[0-9]{1,3}$/, "must be a whole number from 1 to 100"),
    v.transform(Number),
    v.minValue(1, "must be at least 1"),
    v.maxValue(100, "must be at most 100"),
  ),
  "20",
);
export const CursorSchema = v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a cursor from a previous page")));

export const UserPageQuerySchema = v.object({ limit: LimitSchema, cursor: CursorSchema });
export const AdminPageQuerySchema = v.object({
  limit: LimitSchema,
  cursor: CursorSchema,
  status: v.optional(v.picklist(ORDER_STATUSES)),
  userId: v.optional(ExternalIdSchema),
});

const orderFields = {
  id: UuidSchema,
  userId: ExternalIdSchema,
  status: v.picklist(ORDER_STATUSES),
  inventoryStatus: v.picklist(INVENTORY_STATUSES),
  paymentStatus: v.picklist(PAYMENT_STATUSES),
  deliveryStatus: v.picklist(DELIVERY_STATUSES),
  totalAmount: Money,
  currency: CurrencySchema,
  shippingAddress: v.string(),
  paymentMethod: v.picklist(PAYMENT_METHODS),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

export const OrderItemViewSchema = v.strictObject({
  productId: ExternalIdSchema,
  quantity: v.pipe(v.number(), v.integer(), v.minValue(1)),
  unitPrice: Money,
  lineTotal: Money,
});

export const TimelineEntrySchema = v.strictObject({
  status: v.picklist(ORDER_STATUSES),
  reason: v.string(),
  causedBy: v.string(),
  at: Timestamp,
});

/** One payment attempt (issue 14): its own key at the payment service, status, amount and failure. */
export const PaymentAttemptViewSchema = v.strictObject({
  number: v.pipe(v.number(), v.integer(), v.minValue(1)),
  method: v.picklist(PAYMENT_METHODS),
  idempotencyKey: v.string(),
  status: v.picklist(ATTEMPT_STATUSES),
  origin: v.picklist(ATTEMPT_ORIGINS),
  amount: Money,
  failureReason: v.nullable(v.string()),
  retryable: v.nullable(v.boolean()),
  startedAt: Timestamp,
  decidedAt: v.nullable(Timestamp),
});

export const OrderSchema = v.strictObject({
  ...orderFields,
  items: v.array(OrderItemViewSchema),
  timeline: v.array(TimelineEntrySchema),
  /** Payment attempts, oldest first (issue 14). */
  paymentAttempts: v.array(PaymentAttemptViewSchema),
  /** While payment is ACTION_REQUIRED: when the order is cancelled unless an attempt succeeds; null otherwise. */
  paymentActionDeadline: v.nullable(Timestamp),
});

/** Methods a customer may retry with (cash on delivery is chosen at order time only). */
export const RETRY_METHODS = ["card", "upi", "netbanking", "wallet"] as const;
export const PaymentAttemptRequestSchema = v.strictObject({ method: v.picklist(RETRY_METHODS) });

export const OrderSummarySchema = v.strictObject({ ...orderFields, itemCount: v.pipe(v.number(), v.integer(), v.minValue(1)) });

export const OrderPageSchema = v.strictObject({
  items: v.array(OrderSummarySchema),
  nextCursor: v.nullable(v.string()),
});

/** GET /api/orders/{id}/timeline (issue 15): the order's events, from the read model (or the write side's timeline). */
export const TimelineSchema = v.strictObject({
  orderId: v.string(),
  version: v.pipe(v.number(), v.integer()),
  entries: v.array(
    v.strictObject({
      /** The event's ce_sequence; null for a write-side timeline row. */
      sequence: v.nullable(v.pipe(v.number(), v.integer())),
      /** The event's ce_type; `StatusRecorded` for a write-side timeline row. */
      type: v.string(),
      status: v.nullable(v.string()),
      reason: v.nullable(v.string()),
      at: v.string(),
    }),
  ),
});

export const ProblemSchema = v.object({
  type: v.string(),
  title: v.string(),
  status: v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(599)),
  detail: v.string(),
  instance: v.optional(v.string()),
  errors: v.optional(v.array(v.strictObject({ pointer: v.string(), detail: v.string() }))),
});

export const HealthSchema = v.object({
  status: v.picklist(["ok", "unavailable"]),
  /** /readyz: each dependency's answer, "ok" or why not. */
  checks: v.optional(v.record(v.string(), v.string())),
});

// ---- partial cancellations, returns and refunds (issue 13) -----------------------------------

const Units = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000));
const PositiveUnits = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000));
const ReasonSchema = v.pipe(TextSchema, v.minLength(1), v.maxLength(500));
const distinctProducts = <T extends { productId: string }>(lines: T[]) => new Set(lines.map((l) => l.productId)).size === lines.length;
const LineQuantitiesSchema = v.pipe(
  v.array(v.strictObject({ productId: ExternalIdSchema, quantity: PositiveUnits })),
  v.minLength(1),
  v.maxLength(100),
  v.check(distinctProducts, "productIds must be distinct"),
);

export const CancellationRequestSchema = v.strictObject({ lines: LineQuantitiesSchema, reason: ReasonSchema });
export const ReturnRequestSchema = v.strictObject({ lines: LineQuantitiesSchema, reason: ReasonSchema });
export const ReceiptRequestSchema = v.strictObject({
  lines: v.pipe(
    v.array(
      v.pipe(
        v.strictObject({ productId: ExternalIdSchema, received: Units, damaged: Units }),
        v.check((l) => l.received + l.damaged > 0, "a line must record at least one unit"),
      ),
    ),
    v.minLength(1),
    v.maxLength(100),
    v.check(distinctProducts, "productIds must be distinct"),
  ),
});
export const ReturnIdParamSchema = UuidSchema;

export const MoneyViewSchema = v.strictObject({
  status: v.picklist(MONEY_STATUSES),
  currency: CurrencySchema,
  captured: Money,
  refundRequested: Money,
  refunded: Money,
  refundOutstanding: Money,
  netPaid: Money,
});

export const OrderLinesViewSchema = v.strictObject({
  orderId: UuidSchema,
  status: v.picklist(ORDER_STATUSES),
  fulfilmentStatus: v.picklist(FULFILMENT_STATUSES),
  money: MoneyViewSchema,
  lines: v.array(
    v.strictObject({
      productId: ExternalIdSchema,
      unitPrice: Money,
      ordered: Units,
      cancelled: Units,
      shipped: Units,
      delivered: Units,
      returnRequested: Units,
      received: Units,
      damaged: Units,
      restocked: Units,
    }),
  ),
});

export const ReturnViewSchema = v.strictObject({
  id: UuidSchema,
  orderId: UuidSchema,
  status: v.picklist(RETURN_STATUSES),
  reason: v.string(),
  requestedAt: Timestamp,
  lines: v.array(v.strictObject({ productId: ExternalIdSchema, requested: Units, received: Units, damaged: Units })),
  refunds: v.array(v.strictObject({ refundId: v.string(), amount: Money, settled: v.boolean() })),
});

export const ReturnListSchema = v.strictObject({ items: v.array(ReturnViewSchema) });

export type OrderLinesView = v.InferOutput<typeof OrderLinesViewSchema>;
export type ReturnView = v.InferOutput<typeof ReturnViewSchema>;

export type OrderView = v.InferOutput<typeof OrderSchema>;
export type OrderSummaryView = v.InferOutput<typeof OrderSummarySchema>;
