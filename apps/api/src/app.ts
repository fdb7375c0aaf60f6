import type { Pool } from "@orders/db";
import { DEFAULT_REFUND_POLICY, type RefundPolicy } from "@orders/domain";
import { type JobQueue, jobsInActiveTrace } from "@orders/lifecycle";
import type { Logger } from "@orders/runtime";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import { type CorsSettings, installEdge } from "./edge.ts";
import type { AppEnv } from "./env.ts";
import type { InventoryClient } from "./inventory-client.ts";
import { type ApiMetrics, createApiMetrics } from "./metrics.ts";
import { type AuthOptions, authMiddleware } from "./middleware/auth.ts";
import { observe } from "./middleware/observe.ts";
import { errorHandler, notFoundHandler } from "./middleware/problem.ts";
import { type RateLimiters, userRateLimit } from "./middleware/rate-limit.ts";
import { closeIfBodyUnread } from "./middleware/unread-body.ts";
import { docsRoutes } from "./openapi/docs-page.ts";
import { buildOpenApiDocument } from "./openapi/document.ts";
import { healthRoutes } from "./routes/health.ts";
import { orderRoutes } from "./routes/orders.ts";
import { paymentAttemptRoutes } from "./routes/payment-attempts.ts";
import { readSideRoutes } from "./routes/read-side.ts";
import { noJobs } from "./services/cancel-order.ts";
import type { IdempotencySettings } from "./services/idempotency.ts";
import { orderReads } from "./services/order-reads.ts";

export interface AppDeps {
  readonly pool: Pool;
  readonly auth: AuthOptions;
  readonly inventory: InventoryClient;
  readonly idempotency: IdempotencySettings;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly ceSource?: string;
  readonly bodyLimitBytes?: number;
  /** pg-boss, where a cancel inserts its refund job (default: none, for tests). */
  readonly jobs?: JobQueue;
  /** True once shutdown began: /readyz answers 503 so load balancers stop sending. */
  readonly isDraining?: () => boolean;
  /** CORS for configured origins (default: none). */
  readonly cors?: CorsSettings;
  /** Shared rate limits (default: none, for tests that do not test them). */
  readonly rateLimiters?: RateLimiters;
  /** Inventory breaker state for /metrics (cockatiel CircuitState). */
  readonly breakerState?: () => number;
  /** Return window and damaged-unit refunds (default: DEFAULT_REFUND_POLICY). */
  readonly refundPolicy?: RefundPolicy;
  /** The order-history read model (issue 15): its pool (null: reads on the write side) and the read-your-writes wait bound. */
  readonly readModel?: { readonly pool: Pool | null; readonly waitMs: number };
  /** A streaming replica of `pool` (DATABASE_READ_URL) for the reads that tolerate its lag (default: none). */
  readonly replicaPool?: Pool | null;
  /** Attempts a customer may start after payment declines (default 3, issue 14). */
  readonly maxCustomerPaymentAttempts?: number;
}

export interface BuiltApp {
  readonly app: Hono<AppEnv>;
  readonly metrics: ApiMetrics;
}

/** `/api/orders/:id` → a regex matching concrete paths, for 405 detection. */
const patternOf = (path: string) => new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}$`);

/**
 * The whole HTTP API from injected dependencies (no globals, no environment): main.ts wires
 * the real ones; tests drive it through app.request() or a real server with tightened policies.
 */
export function buildApp(deps: AppDeps): BuiltApp {
  const metrics = createApiMetrics(deps.registry, deps.pool, deps.breakerState);
  const app = new Hono<AppEnv>();
  const openapi = JSON.stringify(buildOpenApiDocument());

  // Jobs a request queues (a cancel's refund, a payment retry) carry the request's trace.
  const jobs = jobsInActiveTrace(deps.jobs ?? noJobs);
  app.use("*", observe(metrics, deps.logger));
  app.use("*", closeIfBodyUnread());
  installEdge(app, { ...(deps.cors ? { cors: deps.cors } : {}), ...(deps.rateLimiters ? { rateLimiters: deps.rateLimiters } : {}) });
  app.route("/", healthRoutes({ pool: deps.pool, registry: deps.registry, isDraining: deps.isDraining ?? (() => false) }));
  app.get("/openapi.json", (c) => c.body(openapi, 200, { "Content-Type": "application/json" }));
  app.route("/", docsRoutes());

  app.use("/api/*", authMiddleware(deps.auth));
  if (deps.rateLimiters) app.use("/api/*", userRateLimit(deps.rateLimiters));
  // First: Order-Version on changing responses, and the read-model pages (falling through to the write side).
  app.route(
    "/api/orders",
    readSideRoutes({
      pool: deps.pool,
      readPool: deps.readModel?.pool ?? null,
      waitMs: deps.readModel?.waitMs ?? 1_000,
      registry: deps.registry,
    }),
  );
  app.route(
    "/api/orders",
    orderRoutes({
      pool: deps.pool,
      reads: orderReads(deps.pool, deps.replicaPool ?? null),
      inventory: deps.inventory,
      idempotency: deps.idempotency,
      logger: deps.logger,
      ceSource: deps.ceSource ?? "/order-service/api",
      jobs,
      refundPolicy: deps.refundPolicy ?? DEFAULT_REFUND_POLICY,
      metrics,
      bodyLimitBytes: deps.bodyLimitBytes ?? 65_536,
    }),
  );
  app.route(
    "/api/orders",
    paymentAttemptRoutes({
      pool: deps.pool,
      ceSource: deps.ceSource ?? "/order-service/api",
      jobs,
      idempotency: deps.idempotency,
      logger: deps.logger,
      maxCustomerAttempts: deps.maxCustomerPaymentAttempts ?? 3,
      bodyLimitBytes: deps.bodyLimitBytes ?? 65_536,
    }),
  );

  const routes = app.routes.filter((r) => r.method !== "ALL").map((r) => ({ method: r.method, re: patternOf(r.path) }));
  const allowedMethods = (path: string) => {
    const methods = new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
  app.notFound(notFoundHandler(allowedMethods));
  app.onError(errorHandler(deps.logger));
  return { app, metrics };
}
