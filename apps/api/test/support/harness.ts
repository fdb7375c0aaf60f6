import { type CallPolicyOptions, createLogger, createMetricsRegistry } from "@orders/runtime";
import { type RunningInventory, startInventorySimulator } from "@orders/simulators";
import { freshDatabase, type TestDatabase } from "@orders/testkit";
import { type AppDeps, buildApp } from "../../src/app.ts";
import { createInventoryClient } from "../../src/inventory-client.ts";
import type { AuthOptions } from "../../src/middleware/auth.ts";
import { buildInventoryPolicy } from "../../src/policies.ts";
import { listen, type RunningServer } from "../../src/wiring.ts";
import { createResponseChecker } from "./openapi-check.ts";
import { AUDIENCE, ISSUER, SECRET } from "./tokens.ts";

/** Tight numbers so failure paths finish fast; individual tests tighten further. */
export const TEST_POLICY: CallPolicyOptions = {
  timeoutMs: 300,
  retries: 2,
  initialDelayMs: 10,
  maxDelayMs: 50,
  breakerThreshold: 5,
  halfOpenAfterMs: 500,
};

export interface HarnessOptions {
  readonly label: string;
  readonly policy?: CallPolicyOptions;
  readonly auth?: AuthOptions;
  readonly leaseMs?: number;
  readonly ttlMs?: number;
  readonly bodyLimitBytes?: number;
  readonly http?: boolean;
  /** Replaces any dependency; a function gets the test database (e.g. for rate limiters on its pool). */
  readonly deps?: Partial<AppDeps> | ((db: TestDatabase) => Partial<AppDeps>);
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (no JSON encoding). */
  readonly rawBody?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly key?: string;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
  readonly json: any;
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export const orderBody = (userId: string, items = [{ productId: "abc", quantity: 2 }], extra: Record<string, unknown> = {}) => ({
  userId,
  items,
  shippingAddress: "Bhubaneswar",
  paymentMethod: "card",
  ...extra,
});

/**
 * One test file's world: its own database, a real inventory simulator on a loopback port, the
 * app built from injected deps, and a client that sends through app.request() (or real HTTP)
 * and validates every response against the OpenAPI document.
 */
export async function createHarness(options: HarnessOptions) {
  const db: TestDatabase = await freshDatabase(options.label);
  const sim: RunningInventory = await startInventorySimulator();
  const policyOptions = options.policy ?? TEST_POLICY;
  const { policy, breaker } = buildInventoryPolicy(policyOptions);
  const logger = createLogger({ service: "api-test", level: "silent" });
  const { app, metrics } = buildApp({
    pool: db.pool,
    auth: options.auth ?? { kind: "hmac", secret: SECRET, alg: "HS256", issuer: ISSUER, audience: AUDIENCE },
    inventory: createInventoryClient({
      baseUrl: sim.url,
      policy,
      breakerRetryAfterSeconds: Math.max(1, Math.ceil(policyOptions.halfOpenAfterMs / 1000)),
    }),
    idempotency: { leaseMs: options.leaseMs ?? 10_000, ttlMs: options.ttlMs ?? 24 * 3_600_000 },
    logger,
    registry: createMetricsRegistry("api-test"),
    bodyLimitBytes: options.bodyLimitBytes ?? 65_536,
    breakerState: () => breaker.state as number,
    ...(typeof options.deps === "function" ? options.deps(db) : options.deps),
  });
  const server: RunningServer | undefined = options.http ? await listen(app.fetch, 0, "127.0.0.1") : undefined;
  const checker = createResponseChecker();

  async function call(method: string, path: string, o: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.key !== undefined) headers["idempotency-key"] = o.key;
    let body: string | Uint8Array | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    const init: RequestInit = { method, headers, ...(body !== undefined ? { body: body as RequestInit["body"] } : {}) };
    const res = server ? await fetch(`${server.url}${path}`, init) : await app.request(path, init);
    const text = await res.text();
    const contentType = res.headers.get("content-type") ?? "";
    if (method !== "HEAD") checker.check(method, path, res.status, contentType, text);
    let json: unknown;
    try {
      json = contentType.includes("json") ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  return {
    db,
    sim,
    app,
    metrics,
    breaker,
    server,
    call,
    checked: () => checker.count(),
    async close() {
      await server?.close();
      await sim.close();
      await db.drop();
    },
  };
}
