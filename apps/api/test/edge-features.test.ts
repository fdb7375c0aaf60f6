import { createLogger, createMetricsRegistry } from "@orders/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { createInventoryClient } from "../src/inventory-client.ts";
import { createRateLimiters, type RateLimitSettings } from "../src/middleware/rate-limit.ts";
import { buildInventoryPolicy } from "../src/policies.ts";
import { createHarness, type Harness, orderBody, TEST_POLICY } from "./support/harness.ts";
import { rawExchange } from "./support/raw-http.ts";
import { AUDIENCE, ISSUER, SECRET, token } from "./support/tokens.ts";

/*
 * Issue 12 features at the edge: rate limits shared by every instance (PostgreSQL store), CORS
 * with preflight before authentication, security headers everywhere, a strict CSP on /docs,
 * and Cache-Control: no-store on personal data.
 */
const ORDER = "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057";
const LIMITS: RateLimitSettings = { windowSeconds: 60, perAddress: 400, perUser: 5, authFailuresPerAddress: 3, trustProxyHops: 0 };
const ORIGIN = "https://shop.example";
let h: Harness;

beforeAll(async () => {
  h = await createHarness({
    label: "edgefeat",
    http: true,
    deps: (db) => ({ rateLimiters: createRateLimiters(db.pool, LIMITS), cors: { origins: [ORIGIN], maxAgeSeconds: 600 } }),
  });
});
afterAll(() => h.close());

/** A second API instance on the same database, with its own limiter objects (another process). */
function secondInstance() {
  const { policy } = buildInventoryPolicy(TEST_POLICY);
  return buildApp({
    pool: h.db.pool,
    auth: { kind: "hmac", secret: SECRET, alg: "HS256", issuer: ISSUER, audience: AUDIENCE },
    inventory: createInventoryClient({ baseUrl: h.sim.url, policy, breakerRetryAfterSeconds: 1 }),
    idempotency: { leaseMs: 10_000, ttlMs: 86_400_000 },
    logger: createLogger({ service: "api-test", level: "silent" }),
    registry: createMetricsRegistry("api-test-2"),
    rateLimiters: createRateLimiters(h.db.pool, LIMITS),
  }).app;
}

describe("rate limits", () => {
  it("limits a user across instances: 429 problem+json with Retry-After and the IETF RateLimit fields", async () => {
    const t = await token("limited-user");
    const other = secondInstance();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await h.call("GET", ORDER, { token: t })).status);
    for (let i = 0; i < 2; i++) statuses.push((await other.request(ORDER, { headers: { authorization: `Bearer ${t}` } })).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    const refused = await h.call("GET", ORDER, { token: t });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.json).toMatchObject({ status: 429, type: "/problems/rate-limited" });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit")).toMatch(/^"user";r=0;t=\d+$/);
    expect(refused.headers.get("ratelimit-policy")).toContain('"user";q=5;w=60');
    const fromOther = await other.request(ORDER, { headers: { authorization: `Bearer ${t}` } });
    expect(fromOther.status).toBe(429);
    // Another user is unaffected.
    expect((await h.call("GET", ORDER, { token: await token("someone-else") })).status).toBe(404);
  });

  it("reports the remaining budget on answers that were allowed", async () => {
    const res = await h.call("GET", ORDER, { token: await token("fresh-user") });
    expect(res.status).toBe(404);
    expect(res.headers.get("ratelimit-policy")).toBe('"addr";q=400;w=60, "user";q=5;w=60');
    expect(res.headers.get("ratelimit")).toMatch(/^"user";r=4;t=\d+$/);
    const rows = await h.db.pool.query("SELECT key FROM rate_limits WHERE key LIKE 'user:fresh-user'");
    expect(rows.rowCount).toBe(1);
  });

  it("refuses a bad-token flood from one address before verifying more tokens", async () => {
    // Its own address budget: a second server so that the flood's 401s do not spill over.
    const flood = await createHarness({
      label: "flood",
      http: true,
      deps: (db) => ({ rateLimiters: createRateLimiters(db.pool, { ...LIMITS, perAddress: 1_000 }) }),
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await flood.call("GET", ORDER, { token: `forged.${i}.x` })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const res = await flood.call("GET", ORDER, { token: await token("alice") });
      expect(res.status).toBe(429);
      expect(res.headers.get("ratelimit")).toMatch(/^"authfail";r=0;t=\d+$/);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await flood.close();
    }
  });

  it("limits per client address, before authentication, and leaves /healthz alone", async () => {
    const burst = await createHarness({
      label: "burst",
      http: true,
      deps: (db) => ({ rateLimiters: createRateLimiters(db.pool, { ...LIMITS, perAddress: 4, authFailuresPerAddress: 0 }) }),
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await burst.call("GET", "/openapi.json")).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      expect((await burst.call("GET", ORDER)).status).toBe(429);
      expect((await burst.call("GET", "/healthz")).status).toBe(200);
    } finally {
      await burst.close();
    }
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin before authentication", async () => {
    const res = await fetch(`${h.server?.url}/api/orders`, {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,idempotency-key",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("idempotency-key");
    expect(res.headers.get("access-control-max-age")).toBe("600");
  });

  it("gives no CORS grant to another origin, and exposes the headers clients need to an allowed one", async () => {
    const denied = await fetch(`${h.server?.url}/api/orders`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const res = await h.call("POST", "/api/orders", {
      token: await token("cors-user"),
      body: orderBody("cors-user"),
      key: "c1",
      headers: { origin: ORIGIN },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toContain("Location");
    expect(res.headers.get("access-control-expose-headers")).toContain("RateLimit");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("keeps a plain OPTIONS (not a preflight) a 405", async () => {
    expect((await h.call("OPTIONS", "/healthz")).status).toBe(405);
    expect((await h.call("OPTIONS", "/api/orders", { token: await token("opt") })).status).toBe(405);
  });
});

describe("security headers and caching", () => {
  it("puts hono's secure headers and a deny-all CSP on every API answer, errors and unknown paths included", async () => {
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/nope"],
      ["GET", ORDER],
      ["GET", "/openapi.json"],
    ] as const) {
      const res = await h.call(method, path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("strict-transport-security"), path).toMatch(/max-age=/);
      expect(res.headers.get("content-security-policy"), path).toContain("default-src 'none'");
    }
  });

  it("serves /docs under a strict CSP: scripts, styles and connections from this origin only, nothing inline", async () => {
    const res = await h.call("GET", "/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.text).not.toMatch(/<script>(?!<\/script>)|<style>|style="|\bon\w+="/);
    expect(res.text).not.toMatch(/https?:\/\//); // no CDN
    for (const src of res.text.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const asset = await h.call("GET", src[1] as string);
      expect(asset.status, src[1]).toBe(200);
    }
  });

  it("marks every /api answer no-store (orders and errors about them carry personal data), and not the public ones", async () => {
    const t = await token("cache-user");
    const created = await h.call("POST", "/api/orders", { token: t, body: orderBody("cache-user"), key: "cache-1" });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    for (const path of [`/api/orders/${created.json.id}`, "/api/orders/user/cache-user", ORDER, "/api/orders/user/other"]) {
      expect((await h.call("GET", path, { token: t })).headers.get("cache-control"), path).toBe("no-store");
    }
    expect((await h.call("GET", ORDER)).headers.get("cache-control")).toBe("no-store"); // 401
    expect((await h.call("GET", "/openapi.json")).headers.get("cache-control")).not.toBe("no-store");
  });

  it("answers parser errors with nosniff and no-store too", async () => {
    const result = await rawExchange(h.server?.port as number, "GARBAGE\r\n\r\n");
    expect(result.responses[0]?.headers["x-content-type-options"]).toBe("nosniff");
  });
});
