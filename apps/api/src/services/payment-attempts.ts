import {
  completeIdempotencyKey,
  getOrderDetail,
  getOrderOwner,
  loadPaymentFacts,
  type Pool,
  type Queryable,
  withTransaction,
} from "@orders/db";
import { AppError, type PaymentMethod, uuidv7 } from "@orders/domain";
import { applyEvents, type JobQueue } from "@orders/lifecycle";
import type { Logger } from "@orders/runtime";
import type { AuthUser } from "../env.ts";
import type { OrderView } from "../schemas.ts";
import { type IdempotencySettings, LeaseLost, requestFingerprint, runIdempotently, type StoredResponse } from "./idempotency.ts";
import { toOrderView } from "./order-view.ts";

/** processed_messages name of the API's payment retries; message ids `payment-retry:<uuid>`, one per request. */
export const API_PAYMENT_RETRY_CONSUMER = "api-payment-retry";

export interface PaymentAttemptsDeps {
  readonly pool: Pool;
  readonly ceSource: string;
  /** Where the PaymentInitiator job of the new attempt is inserted, inside the request's transaction. */
  readonly jobs: JobQueue;
  readonly idempotency: IdempotencySettings;
  readonly logger: Logger;
  /** Attempts a customer may start after declines (PAYMENT_MAX_CUSTOMER_ATTEMPTS, as the consumer reads it). */
  readonly maxCustomerAttempts: number;
}

export interface RetryPaymentInput {
  readonly user: AuthUser;
  readonly orderId: string;
  readonly idempotencyKey: string;
  readonly method: PaymentMethod;
  readonly traceparent: string | null;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * POST /api/orders/{id}/payment-attempts: the customer starts another attempt after a decline —
 * a `PaymentRetryRequested` applied by the one writer (payment PENDING, PaymentInitiator job with
 * the chosen method, PaymentAttemptStarted), under the Idempotency-Key like every other write.
 * No action required (or no attempts left) → 409 and the key is given back.
 */
export async function retryPaymentIdempotently(
  deps: PaymentAttemptsDeps,
  input: RetryPaymentInput,
): Promise<StoredResponse & { replayed: boolean }> {
  const owner = await getOrderOwner(deps.pool, input.orderId);
  // Another user's order is indistinguishable from a missing one (no IDOR oracle).
  if (owner === null || (!input.user.admin && owner !== input.user.id)) throw new AppError("NOT_FOUND", "order not found");
  const scope = { userId: input.user.id, key: input.idempotencyKey };
  const fingerprint = requestFingerprint(`POST /api/orders/{id}/payment-attempts\n${input.orderId}`, { method: input.method });
  return runIdempotently(deps, scope, fingerprint, (leaseToken) =>
    withTransaction(deps.pool, async (client) => {
      const [outcome] = await applyEvents(
        client,
        [
          {
            orderId: input.orderId,
            messageId: `payment-retry:${uuidv7()}`,
            event: { type: "PaymentRetryRequested", method: input.method },
            traceparent: input.traceparent && TRACEPARENT.test(input.traceparent) ? input.traceparent : null,
          },
        ],
        {
          consumer: API_PAYMENT_RETRY_CONSUMER,
          source: deps.ceSource,
          decision: { maxPaymentAttempts: 1, maxCustomerAttempts: deps.maxCustomerAttempts },
          jobs: deps.jobs,
        },
      );
      if (outcome?.kind === "skipped") throw new AppError("CONFLICT", `${outcome.reason}: ${outcome.note}`);
      if (outcome?.kind === "unknown_order") throw new AppError("NOT_FOUND", "order not found");
      if (outcome?.kind !== "applied") throw new AppError("INTERNAL", `not applied: ${outcome?.kind ?? "no outcome"}`);
      const detail = await getOrderDetail(client, input.orderId);
      if (!detail) throw new AppError("INTERNAL", "order vanished inside its own transaction");
      const view: OrderView = toOrderView(detail);
      const stored: StoredResponse = {
        status: 202,
        headers: { "Content-Type": "application/json", Location: `/api/orders/${input.orderId}` },
        body: JSON.stringify(view),
      };
      const completed = await completeIdempotencyKey(client, { ...scope, leaseToken, ...stored, orderId: input.orderId });
      if (!completed) throw new LeaseLost();
      return stored;
    }),
  );
}
