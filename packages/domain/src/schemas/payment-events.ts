import * as v from "valibot";
import { CurrencySchema, ExternalIdSchema, IsoTimestampSchema, MoneySchema, TextSchema, UuidSchema } from "./common.ts";
import { PAYMENT_METHODS } from "./order-request.ts";

/*
 * Produced on `orders` by payment attempts (issue 14). Strict, like the other produced events.
 * A notification service tells the customer to pay again on PaymentActionRequired (with the
 * deadline) and that a new attempt is on its way on PaymentAttemptStarted.
 */

const Attempt = v.pipe(v.number(), v.integer(), v.minValue(1));

export const PaymentActionRequiredSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  /** The attempt that was declined for good. */
  attempt: Attempt,
  method: v.picklist(PAYMENT_METHODS),
  reason: TextSchema,
  amount: MoneySchema,
  currency: CurrencySchema,
  /** After this the order is cancelled (payment-failed) and its stock released. */
  deadline: IsoTimestampSchema,
  requiredAt: IsoTimestampSchema,
});

export const PaymentAttemptStartedSchema = v.strictObject({
  orderId: UuidSchema,
  userId: ExternalIdSchema,
  attempt: Attempt,
  method: v.picklist(PAYMENT_METHODS),
  /** Who started it: the customer after a decline. */
  origin: v.picklist(["initial", "automatic", "customer"]),
  amount: MoneySchema,
  currency: CurrencySchema,
  startedAt: IsoTimestampSchema,
});

export const PAYMENT_EVENT_SCHEMAS = {
  PaymentActionRequired: PaymentActionRequiredSchema,
  PaymentAttemptStarted: PaymentAttemptStartedSchema,
} as const;

export type PaymentActionRequiredPayload = v.InferOutput<typeof PaymentActionRequiredSchema>;
export type PaymentAttemptStartedPayload = v.InferOutput<typeof PaymentAttemptStartedSchema>;
