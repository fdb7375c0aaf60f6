import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, Server as NetServer } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createPool, deleteExpiredIdempotencyKeys, type Pool, type SessionTimeouts } from "@orders/db";
import { type CallPolicyOptions, createMetricsRegistry, type Logger } from "@orders/runtime";
import type { CircuitState } from "cockatiel";
import { type AppDeps, type BuiltApp, buildApp } from "./app.ts";
import type { ApiConfig } from "./config.ts";
import { createInventoryClient } from "./inventory-client.ts";
import { createJwksCache } from "./jwks-cache.ts";
import type { AsymmetricAlg, AuthOptions } from "./middleware/auth.ts";
import { adapterErrorResponse, answerClientError, answerExpectation } from "./middleware/client-error.ts";
import { createRateLimiters, type RateLimiters } from "./middleware/rate-limit.ts";
import { buildInventoryPolicy, inventoryPolicyOptions } from "./policies.ts";

export function authOptionsFrom(config: ApiConfig): AuthOptions {
  const claims = {
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    leewaySeconds: config.JWT_LEEWAY_SECONDS,
  };
  if (config.JWT_SECRET) {
    return { kind: "hmac", secret: config.JWT_SECRET, alg: (config.JWT_ALG ?? "HS256") as "HS256", ...claims };
  }
  const keys = createJwksCache(config.JWKS_URL as string, { cacheSeconds: config.JWKS_CACHE_SECONDS });
  return { kind: "jwks", keys, alg: config.JWT_ALG as AsymmetricAlg, ...claims };
}

/** Rate limits from RATE_LIMIT_* (undefined when RATE_LIMIT_ENABLED=false). */
export function rateLimitersFrom(config: ApiConfig, pool: Pool, logger?: Logger): RateLimiters | undefined {
  if (!config.RATE_LIMIT_ENABLED) return undefined;
  return createRateLimiters(
    pool,
    {
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      perAddress: config.RATE_LIMIT_PER_ADDRESS,
      perUser: config.RATE_LIMIT_PER_USER,
      authFailuresPerAddress: config.RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS,
      trustProxyHops: config.RATE_LIMIT_TRUST_PROXY_HOPS,
    },
    logger,
  );
}

/** The pool's per-session bounds from DATABASE_*_TIMEOUT_MS (also given to pg-boss' connections). */
export const sessionTimeoutsFrom = (config: ApiConfig): SessionTimeouts => ({
  statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  lockTimeoutMs: config.DATABASE_LOCK_TIMEOUT_MS,
  idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
});

const optionalLimiters = (rateLimiters: RateLimiters | undefined) => (rateLimiters ? { rateLimiters } : {});

export interface ApiInstance extends BuiltApp {
  readonly pool: Pool;
  /** The read model's pool when READ_MODEL_DATABASE_URL is set (the caller closes it). */
  readonly readPool: Pool | null;
  /** The streaming replica's pool when DATABASE_READ_URL is set (the caller closes it). */
  readonly replicaPool: Pool | null;
  readonly policyOptions: CallPolicyOptions;
}

/** Builds the app and its dependencies from configuration; `overrides` replace any of them (tests). */
export function createApi(
  config: ApiConfig,
  logger: Logger,
  overrides: Partial<AppDeps> & { policy?: CallPolicyOptions } = {},
): ApiInstance {
  if (!config.DATABASE_URL && !overrides.pool) throw new Error("DATABASE_URL is required");
  const pool =
    overrides.pool ??
    createPool({
      connectionString: config.DATABASE_URL as string,
      max: config.DATABASE_POOL_MAX,
      applicationName: "order-api",
      ...sessionTimeoutsFrom(config),
    });
  const readPool =
    overrides.readModel?.pool ??
    (config.READ_MODEL_DATABASE_URL
      ? createPool({
          connectionString: config.READ_MODEL_DATABASE_URL,
          max: config.READ_MODEL_DATABASE_POOL_MAX,
          applicationName: "order-api-read",
        })
      : null);
  const replicaPool =
    overrides.replicaPool ??
    (config.DATABASE_READ_URL
      ? createPool({
          connectionString: config.DATABASE_READ_URL,
          max: config.DATABASE_READ_POOL_MAX,
          applicationName: "order-api-replica",
          ...sessionTimeoutsFrom(config),
        })
      : null);
  const policyOptions = overrides.policy ?? inventoryPolicyOptions(config);
  const { policy, breaker } = buildInventoryPolicy(policyOptions);
  const inventory =
    overrides.inventory ??
    createInventoryClient({
      baseUrl: config.INVENTORY_URL,
      policy,
      breakerRetryAfterSeconds: Math.max(1, Math.ceil(policyOptions.halfOpenAfterMs / 1000)),
    });
  const built = buildApp({
    pool,
    auth: overrides.auth ?? authOptionsFrom(config),
    inventory,
    idempotency: overrides.idempotency ?? { leaseMs: config.IDEMPOTENCY_LEASE_MS, ttlMs: config.IDEMPOTENCY_TTL_HOURS * 3_600_000 },
    logger,
    registry: overrides.registry ?? createMetricsRegistry("api"),
    ceSource: config.CE_SOURCE,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    breakerState: () => breaker.state as CircuitState,
    cors: { origins: config.CORS_ORIGINS, maxAgeSeconds: config.CORS_MAX_AGE_SECONDS },
    refundPolicy: { returnWindowMs: config.RETURN_WINDOW_DAYS * 86_400_000, refundDamaged: config.REFUND_DAMAGED_UNITS },
    readModel: { pool: readPool, waitMs: config.READ_YOUR_WRITES_TIMEOUT_MS },
    replicaPool,
    maxCustomerPaymentAttempts: config.PAYMENT_MAX_CUSTOMER_ATTEMPTS,
    ...(overrides.rateLimiters ? {} : optionalLimiters(rateLimitersFrom(config, pool, logger))),
    ...overrides,
  });
  return { ...built, pool, readPool, replicaPool, policyOptions };
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** True once drain() began: every response says `Connection: close`. */
  readonly draining: boolean;
  /**
   * Graceful stop (issue 12, defect 3): keeps accepting for `drainMs` (load balancers see
   * /readyz fail and move away) while every response closes its connection after itself, so
   * clients open fresh connections instead of reusing one the server is about to close; idle
   * keep-alive sockets expire on their own timeout meanwhile. Then stops listening, lets the
   * requests in flight finish, and resets what is left only after `timeoutMs`.
   */
  drain(options: { drainMs: number; timeoutMs?: number }): Promise<void>;
  /** drain() without the window (tests). */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Idle keep-alive sockets close after this long (node's default: 5 s); keep it below the drain window. */
  readonly keepAliveTimeoutMs?: number;
}

export async function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
  options: ListenOptions = {},
): Promise<RunningServer> {
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  // The adapter's listener on a server we create: errors outside Hono answer problem+json
  // (issue 12, defect 4), and a request without Host reaches the app (the adapter supplies one)
  // instead of Node's empty 400.
  const listener = getRequestListener(fetch, { hostname: host, errorHandler: adapterErrorResponse });
  const http = createServer({ requireHostHeader: false }, listener);
  if (options.keepAliveTimeoutMs !== undefined) http.keepAliveTimeout = options.keepAliveTimeoutMs;
  // Parser errors (431, malformed requests) answer problem+json instead of Node's bare status line.
  http.on("clientError", answerClientError);
  http.on("checkExpectation", answerExpectation);
  await new Promise<void>((resolve) => http.listen(port, hostname, resolve));
  const server = http;
  let draining = false;
  // First listener, so the header is in place before @hono/node-server writes the response.
  http.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader("Connection", "close");
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const drain = ({ drainMs, timeoutMs = 20_000 }: { drainMs: number; timeoutMs?: number }) => {
    draining = true;
    closing ??= (async () => {
      if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
      // A busy loop runs this timer before accepting what the kernel queued meanwhile: let one
      // poll phase accept those connections, or closing the listener would reset them.
      await new Promise((r) => setImmediate(r));
      // net.Server's close, not http.Server's: the latter also destroys every connection not
      // inside a request, which includes one just accepted whose request is not parsed yet. Idle
      // keep-alive sockets have expired during the window; a request already on the wire is
      // still read and answered (with Connection: close).
      const closed = new Promise<void>((resolve, reject) =>
        NetServer.prototype.close.call(http, (error?: Error) => (error ? reject(error) : resolve())),
      );
      // Without a window (tests, SHUTDOWN_DRAIN_MS=0) idle keep-alive sockets are closed now.
      if (drainMs <= 0) http.closeIdleConnections();
      const hardStop = setTimeout(() => http.closeAllConnections(), timeoutMs);
      try {
        await closed;
      } finally {
        clearTimeout(hardStop);
      }
    })();
    return closing;
  };
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    get draining() {
      return draining;
    },
    drain,
    close: () => drain({ drainMs: 0 }),
  };
}

/** Deletes expired Idempotency-Keys every `intervalMs` (0 = never); returns a stop function. */
export function scheduleIdempotencyCleanup(pool: Pool, intervalMs: number, logger: Logger): () => void {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    deleteExpiredIdempotencyKeys(pool)
      .then((deleted) => deleted > 0 && logger.info("expired idempotency keys deleted", { deleted }))
      .catch((error: unknown) => logger.warn("idempotency key clean-up failed", { err: error }));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
