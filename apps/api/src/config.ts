import { databaseSessionEnv, env } from "@orders/runtime";
import * as v from "valibot";

export const HMAC_ALGS = ["HS256", "HS384", "HS512"] as const;
export const ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

const ORIGIN = /^https?:\/\/[^/\s]+$/;
const optionalTrimmed = () => v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)));

/**
 * Environment of apps/api (docs/configuration.md). Exactly one of JWT_SECRET (HMAC) and
 * JWKS_URL (asymmetric) must be set, and JWT_ALG must belong to that family: the algorithm
 * is pinned here, never taken from the token.
 */
export const ApiConfigSchema = v.pipe(
  v.object({
    PORT: env.int(3000, 0, 65_535),
    HOST: env.string("0.0.0.0"),
    DATABASE_URL: env.optionalString(),
    DATABASE_POOL_MAX: env.int(20, 1, 1_000),
    // Issue 15: the order-history read model's database (history, admin list, timeline); unset: the write side answers.
    READ_MODEL_DATABASE_URL: env.optionalString(),
    READ_MODEL_DATABASE_POOL_MAX: env.int(10, 1, 1_000),
    // Issue 17: a streaming replica of DATABASE_URL; an order's detail and a customer's list are read from it.
    DATABASE_READ_URL: env.optionalString(),
    DATABASE_READ_POOL_MAX: env.int(20, 1, 1_000),
    // How long a read with X-Min-Version waits for the projection before the write side answers it.
    READ_YOUR_WRITES_TIMEOUT_MS: env.int(1_000, 0, 60_000),
    // A request's statements are short and nothing waits on the network inside its transactions.
    ...databaseSessionEnv({ statementMs: 15_000, lockMs: 5_000, idleInTransactionMs: 15_000 }),
    LOG_LEVEL: env.logLevel(),
    JWT_SECRET: v.optional(v.pipe(v.string(), v.minLength(32, "must be at least 32 characters"))),
    JWKS_URL: v.optional(v.pipe(v.string(), v.url("must be a URL"))),
    JWT_ALG: v.optional(v.picklist([...HMAC_ALGS, ...ASYMMETRIC_ALGS], "must be a JWS algorithm such as HS256, RS256 or ES256")),
    JWT_ISSUER: optionalTrimmed(),
    JWT_AUDIENCE: optionalTrimmed(),
    JWKS_CACHE_SECONDS: env.int(300, 0, 86_400),
    JWT_LEEWAY_SECONDS: env.int(30, 0, 300),
    INVENTORY_URL: env.url("http://127.0.0.1:4001"),
    INVENTORY_TIMEOUT_MS: env.int(1_000, 1, 60_000),
    INVENTORY_RETRIES: env.int(2, 0, 10),
    INVENTORY_RETRY_DELAY_MS: env.int(50, 0, 10_000),
    INVENTORY_RETRY_MAX_DELAY_MS: env.int(500, 0, 60_000),
    INVENTORY_BREAKER_THRESHOLD: env.int(5, 1, 1_000),
    INVENTORY_BREAKER_HALF_OPEN_MS: env.int(5_000, 1, 600_000),
    IDEMPOTENCY_TTL_HOURS: env.int(24, 24, 24 * 90),
    IDEMPOTENCY_LEASE_MS: env.int(30_000, 1_000, 600_000),
    IDEMPOTENCY_CLEANUP_INTERVAL_MS: env.int(600_000, 0, 86_400_000),
    // Returns may be requested up to this many days after delivery (refund policy, docs/lifecycle.md).
    RETURN_WINDOW_DAYS: env.int(30, 0, 3_650),
    // Refund units that arrive damaged (otherwise only good units are refunded).
    REFUND_DAMAGED_UNITS: env.bool(false),
    // Attempts a customer may start after payment declines (issue 14; the consumer reads it too).
    PAYMENT_MAX_CUSTOMER_ATTEMPTS: env.int(3, 0, 20),
    BODY_LIMIT_BYTES: env.int(65_536, 1_024, 10_485_760),
    CE_SOURCE: env.string("/order-service/api"),
    SHUTDOWN_TIMEOUT_MS: env.int(20_000, 0, 600_000),
    // Graceful stop: /readyz fails at once, the listener keeps accepting this long (every
    // response closing its connection), then closes and lets in-flight requests finish.
    SHUTDOWN_DRAIN_MS: env.int(6_000, 0, 600_000),
    // Idle keep-alive sockets close after this; below SHUTDOWN_DRAIN_MS so none is left open
    // (and reset) when the listener closes.
    HTTP_KEEP_ALIVE_TIMEOUT_MS: env.int(5_000, 100, 600_000),
    // Browsers on these exact origins may call the API (comma-separated; empty = no CORS; * = any).
    CORS_ORIGINS: v.pipe(
      env.list(""),
      v.check((list) => list.every((o) => o === "*" || ORIGIN.test(o)), "must be origins like https://shop.example (no path), or *"),
    ),
    CORS_MAX_AGE_SECONDS: env.int(600, 0, 86_400),
    // Shared by every instance (PostgreSQL table rate_limits); fixed windows.
    RATE_LIMIT_ENABLED: env.bool(true),
    RATE_LIMIT_WINDOW_SECONDS: env.int(60, 1, 86_400),
    RATE_LIMIT_PER_ADDRESS: env.int(600, 0, 1_000_000),
    RATE_LIMIT_PER_USER: env.int(300, 0, 1_000_000),
    RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: env.int(30, 0, 1_000_000),
    RATE_LIMIT_TRUST_PROXY_HOPS: env.int(0, 0, 10),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const c = dataset.value;
    const issue = (key: string, message: string) =>
      addIssue({ message, path: [{ type: "object", origin: "value", input: c, key, value: (c as Record<string, unknown>)[key] }] });
    if (!c.JWT_SECRET === !c.JWKS_URL) issue("JWT_SECRET", "set exactly one of JWT_SECRET (HMAC) and JWKS_URL (RS/ES/PS/EdDSA)");
    const alg = c.JWT_ALG ?? (c.JWT_SECRET ? "HS256" : undefined);
    if (!alg) issue("JWT_ALG", "required with JWKS_URL (e.g. RS256 or ES256)");
    else if (c.JWT_SECRET && !(HMAC_ALGS as readonly string[]).includes(alg)) issue("JWT_ALG", "must be HS256/HS384/HS512 with JWT_SECRET");
    else if (c.JWKS_URL && (HMAC_ALGS as readonly string[]).includes(alg))
      issue("JWT_ALG", "must be an asymmetric algorithm with JWKS_URL");
    if (c.SHUTDOWN_TIMEOUT_MS > 0 && c.SHUTDOWN_DRAIN_MS >= c.SHUTDOWN_TIMEOUT_MS)
      issue("SHUTDOWN_DRAIN_MS", "must be below SHUTDOWN_TIMEOUT_MS");
    if (c.SHUTDOWN_DRAIN_MS > 0 && c.HTTP_KEEP_ALIVE_TIMEOUT_MS >= c.SHUTDOWN_DRAIN_MS)
      issue("HTTP_KEEP_ALIVE_TIMEOUT_MS", "must be below SHUTDOWN_DRAIN_MS (idle connections must expire within the drain window)");
  }),
);

export type ApiConfig = v.InferOutput<typeof ApiConfigSchema>;
