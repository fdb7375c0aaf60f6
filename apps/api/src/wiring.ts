import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createPool, deleteExpiredIdempotencyKeys, type Pool, type SessionTimeouts } from "@orders/db";
import { type CallPolicyOptions, createMetricsRegistry, type Logger } from "@orders/runtime";
import type { CircuitState } from "cockatiel";
import { type AppDeps, type BuiltApp, buildApp } from "./app.ts";
import type { ApiConfig } from "./config.ts";
import { createInventoryClient } from "./inventory-client.ts";
import { createJwksCache } from "./jwks-cache.ts";
import type { AsymmetricAlg, AuthOptions } from "./middleware/auth.ts";
import { buildInventoryPolicy, inventoryPolicyOptions } from "./policies.ts";

export function authOptionsFrom(config: ApiConfig): AuthOptions {
  const claims = {
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  };
  if (config.JWT_SECRET) {
    return { kind: "hmac", secret: config.JWT_SECRET, alg: (config.JWT_ALG ?? "HS256") as "HS256", ...claims };
  }
  const keys = createJwksCache(config.JWKS_URL as string, { cacheSeconds: config.JWKS_CACHE_SECONDS });
  return { kind: "jwks", keys, alg: config.JWT_ALG as AsymmetricAlg, ...claims };
}

/** The pool's per-session bounds from DATABASE_*_TIMEOUT_MS (also given to pg-boss' connections). */
export const sessionTimeoutsFrom = (config: ApiConfig): SessionTimeouts => ({
  statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  lockTimeoutMs: config.DATABASE_LOCK_TIMEOUT_MS,
  idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
});

export interface ApiInstance extends BuiltApp {
  readonly pool: Pool;
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
    ...overrides,
  });
  return { ...built, pool, policyOptions };
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

export async function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
): Promise<RunningServer> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port, hostname }, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      }),
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
