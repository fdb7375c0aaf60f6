import { Hono } from "hono";
import * as v from "valibot";
import { FAULT_MODES, type FaultInjector } from "../inventory/faults.ts";
import type { ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import type { PaymentService } from "./payment-service.ts";

const ChargeSchema = v.object({
  orderId: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
  amount: v.pipe(v.string(), v.regex(/^\d{1,12}(\.\d{1,2})?$/)),
  currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
  userId: v.optional(v.string()),
  method: v.optional(v.string()),
});

const FaultPatchSchema = v.strictObject({
  mode: v.optional(v.picklist(FAULT_MODES)),
  failureRate: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  latencyMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  latencyMaxMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

const ChaosPatchSchema = v.strictObject({
  enabled: v.optional(v.boolean()),
  duplicateRate: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  reorderWindowMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * The Payment service's HTTP face. The result of a charge or refund arrives on `payments`.
 *   POST /payments                  Idempotency-Key: <orderId>:<attempt> → 202 {paymentId, replayed}
 *   POST /payments/:orderId/refund  Idempotency-Key: refund:<id>, {amount?} → 202 {refundId, amount} | 409 nothing captured | 422 over-refund
 *   GET  /payments/:orderId         → 200 {paymentId, attempts, captured, refunded} | 404 never charged
 *   GET /admin/stats, GET /admin/ledger, POST /admin/faults (HTTP faults), POST /admin/chaos, GET /healthz
 */
export function createPaymentApp(service: PaymentService, faults: FaultInjector, emitter: ChaosEmitter): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/admin/stats", (c) =>
    c.json({ ...service.stats, sent: emitter.sent, duplicated: emitter.duplicated, chaos: emitter.settings, faults: faults.settings }),
  );
  app.get("/admin/ledger", (c) => c.json(service.ledger()));
  app.post("/admin/faults", async (c) => {
    const parsed = v.safeParse(FaultPatchSchema, await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: "invalid fault settings" }, 400);
    return c.json(faults.update(parsed.output));
  });
  app.post("/admin/chaos", async (c) => {
    const parsed = v.safeParse(ChaosPatchSchema, await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: "invalid chaos settings" }, 400);
    return c.json(emitter.update(parsed.output));
  });

  const business = new Hono();
  business.use(async (c, next) => {
    const verdict = faults.next();
    await sleep(verdict.delayMs);
    if (verdict.fail) return c.json({ error: "payment service unavailable" }, 503);
    return next();
  });
  business.post("/payments", async (c) => {
    const parsed = v.safeParse(ChargeSchema, await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: "invalid charge request" }, 400);
    const key = c.req.header("idempotency-key");
    // One payment per attempt: order id + attempt number (issue 14); the bare order id from older callers.
    const { orderId, attempt } = parsed.output;
    if (key !== `${orderId}:${attempt}` && key !== orderId) return c.json({ error: "Idempotency-Key must be <order id>:<attempt>" }, 400);
    return c.json(service.charge(parsed.output), 202);
  });
  business.get("/payments/:orderId", (c) => {
    const found = service.lookup(c.req.param("orderId"));
    return found ? c.json(found) : c.json({ error: "no charge received for this order" }, 404);
  });
  business.post("/payments/:orderId/refund", async (c) => {
    const orderId = c.req.param("orderId");
    const key = c.req.header("idempotency-key") ?? "";
    // One refund per key: refund:<orderId> (the whole remainder) or refund:<cause> (a partial refund).
    if (!/^refund:[\x21-\x7E]{1,290}$/.test(key)) return c.json({ error: "Idempotency-Key must be refund:<id>" }, 400);
    const body = (await c.req.json().catch(() => ({}))) as { amount?: unknown };
    const amount = typeof body.amount === "string" && /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/.test(body.amount) ? body.amount : undefined;
    const result = service.refund(orderId, key, amount);
    if (result.kind === "not-captured") return c.json({ error: "no captured payment for this order" }, 409);
    if (result.kind === "over-refund") return c.json({ error: `refund exceeds what is left (${result.remaining})` }, 422);
    return c.json({ refundId: result.refundId, amount: result.amount }, 202);
  });
  app.route("/", business);
  return app;
}
