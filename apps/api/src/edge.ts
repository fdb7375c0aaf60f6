import type { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env.ts";
import { addressRateLimit, type RateLimiters } from "./middleware/rate-limit.ts";

/*
 * What every response passes through before routing (issue 12): security headers, CORS for
 * configured origins (a preflight is answered here, before authentication and rate limits),
 * `Cache-Control: no-store` on everything under /api (orders carry names and addresses; so do
 * the errors about them), and the per-address rate limit.
 */
export interface CorsSettings {
  /** Exact origins allowed (`https://shop.example`); empty = no CORS headers at all. */
  readonly origins: readonly string[];
  readonly maxAgeSeconds: number;
}

/** An API answers data, never a document: nothing may load, frame or run because of it. */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

export function installEdge(app: Hono<AppEnv>, options: { cors?: CorsSettings; rateLimiters?: RateLimiters }): void {
  // overwrite: false — a route with its own policy (/docs) keeps it.
  app.use("*", secureHeaders({ contentSecurityPolicy: API_CSP, xFrameOptions: "DENY", overwrite: false }));
  if (options.cors && options.cors.origins.length > 0) {
    const allowed = new Set(options.cors.origins);
    const preflightAndHeaders = cors({
      origin: (origin) => (allowed.has(origin) ? origin : null),
      allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "traceparent", "X-Request-Id"],
      exposeHeaders: [
        "Location",
        "Idempotent-Replayed",
        "Retry-After",
        "RateLimit",
        "RateLimit-Policy",
        "WWW-Authenticate",
        "X-Request-Id",
      ],
      maxAge: options.cors.maxAgeSeconds,
      credentials: false,
    });
    // An OPTIONS that is not a preflight stays a 405 like any other unsupported method.
    app.use("*", (c, next) =>
      c.req.method === "OPTIONS" && !c.req.header("access-control-request-method") ? next() : preflightAndHeaders(c, next),
    );
  }
  app.use("/api/*", async (c, next) => {
    await next();
    c.res.headers.set("Cache-Control", "no-store");
  });
  if (options.rateLimiters) {
    const limit = addressRateLimit(options.rateLimiters);
    for (const path of ["/api/*", "/docs", "/docs/*", "/openapi.json"]) app.use(path, limit);
  }
}
