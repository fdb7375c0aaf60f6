import { uuidv7 } from "@orders/domain";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../env.ts";
import type { ApiMetrics } from "../metrics.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Request id (X-Request-Id in and out) plus request count and latency by route template. */
export function observe(metrics: ApiMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : uuidv7();
    c.set("requestId", requestId);
    try {
      await next();
    } finally {
      c.header("X-Request-Id", requestId);
      // The handler's route is the last matched one that is not middleware (method ALL).
      const route = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "unmatched";
      const labels = { method: METHODS.has(c.req.method) ? c.req.method : "OTHER", route, status: String(c.res.status) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, (performance.now() - start) / 1000);
    }
  };
}
