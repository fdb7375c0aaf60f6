import { AppError, type PaymentServiceRecord } from "@orders/domain";
import type { IPolicy } from "cockatiel";
import * as v from "valibot";

/** GET /payments/{orderId}: validated, since reconciliation repairs orders from it. */
const PaymentRecordSchema = v.object({
  attempts: v.array(v.pipe(v.number(), v.integer(), v.minValue(0))),
  captured: v.boolean(),
  refunded: v.boolean(),
  refunds: v.optional(v.array(v.object({ refundId: v.string(), amount: v.string() }))),
});

function parseRecord(body: unknown): PaymentServiceRecord | null {
  if (body === null) return null;
  const parsed = v.safeParse(PaymentRecordSchema, body);
  if (!parsed.success) {
    throw new AppError("INTERNAL", `payment service record not understood: ${v.summarize(parsed.issues)}`, { retriable: false });
  }
  return parsed.output;
}

/**
 * HTTP client of the Payment service. The order id is the payment's idempotency key: a charge
 * repeated for the same order and attempt (a retried HTTP call, a re-run job) is answered from
 * the service's record instead of charging again; the result arrives on the `payments` topic.
 */
export interface PaymentClient {
  charge(request: ChargeRequest): Promise<{ paymentId: string }>;
  refund(request: RefundRequest): Promise<{ refundId: string }>;
  /** The service's own record of an order's payment; null when it never saw a charge. */
  lookup(orderId: string): Promise<PaymentServiceRecord | null>;
}

export interface ChargeRequest {
  readonly orderId: string;
  readonly attempt: number;
  /** The attempt's key at the service: order id + attempt number (issue 14). */
  readonly idempotencyKey: string;
  readonly amount: string;
  readonly currency: string;
  readonly method: string;
  /** Lets the simulator pick a scripted outcome; a real gateway would take the customer id. */
  readonly userId: string;
}

export interface RefundRequest {
  readonly orderId: string;
  readonly amount: string;
  /** The ledger's refund id: the service's idempotency key (`refund:<order id>` for the whole remainder). */
  readonly refundId: string;
}

async function call(url: string, init: RequestInit & { signal: AbortSignal }, notFoundIsNull = false): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new AppError("DEPENDENCY_UNAVAILABLE", `payment service unreachable: ${(error as Error).message}`, {
      retriable: true,
      cause: error,
    });
  }
  const text = await response.text();
  if (response.ok) return text ? JSON.parse(text) : {};
  if (notFoundIsNull && response.status === 404) return null;
  // 5xx and 429 are worth another try; any other 4xx is our bug or a refusal.
  const retriable = response.status >= 500 || response.status === 429;
  throw new AppError(
    retriable ? "DEPENDENCY_UNAVAILABLE" : "CONFLICT",
    `payment service answered ${response.status}: ${text.slice(0, 200)}`,
    {
      retriable,
    },
  );
}

const post = (url: string, key: string, body: unknown, signal: AbortSignal) =>
  call(url, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body),
    signal,
  });

/** Every call goes through `policy` (timeout, retry with backoff, circuit breaker). */
export function httpPaymentClient(baseUrl: string, policy: IPolicy): PaymentClient {
  const base = baseUrl.replace(/\/$/, "");
  return {
    charge: (r) => policy.execute(({ signal }) => post(`${base}/payments`, r.idempotencyKey, r, signal)) as Promise<{ paymentId: string }>,
    refund: (r) =>
      policy.execute(({ signal }) => post(`${base}/payments/${encodeURIComponent(r.orderId)}/refund`, r.refundId, r, signal)) as Promise<{
        refundId: string;
      }>,
    lookup: async (orderId) =>
      parseRecord(
        await policy.execute(({ signal }) => call(`${base}/payments/${encodeURIComponent(orderId)}`, { method: "GET", signal }, true)),
      ),
  };
}
