import { traceparentOf } from "@orders/runtime";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { readJson } from "../middleware/json-body.ts";
import { IdempotencyKeySchema, OrderIdParamSchema, PaymentAttemptRequestSchema } from "../schemas.ts";
import { type PaymentAttemptsDeps, retryPaymentIdempotently } from "../services/payment-attempts.ts";
import { bodyLimitOf, param } from "./request.ts";

export interface PaymentAttemptRouteDeps extends PaymentAttemptsDeps {
  readonly bodyLimitBytes: number;
}

/** POST /api/orders/{id}/payment-attempts (issue 14), mounted under /api/orders. */
export function paymentAttemptRoutes(deps: PaymentAttemptRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const limit = bodyLimitOf(deps.bodyLimitBytes);
  app.post("/:id/payment-attempts", limit, async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const body = await readJson(c, PaymentAttemptRequestSchema, "payment attempt");
    const key = param(IdempotencyKeySchema, c.req.header("idempotency-key"), "Idempotency-Key");
    const result = await retryPaymentIdempotently(deps, {
      user: c.get("user"),
      orderId,
      idempotencyKey: key,
      method: body.method,
      traceparent: traceparentOf(),
    });
    return c.body(result.body, result.status as 202, { ...result.headers, ...(result.replayed ? { "Idempotent-Replayed": "true" } : {}) });
  });
  return app;
}
