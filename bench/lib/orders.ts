/** The order the API benches POST, and the headers that carry a token for its user. */
import { sign } from "hono/jwt";

/** The API's JWT_SECRET in the benches. */
export const BENCH_SECRET = "bench-secret-that-is-at-least-32-characters";

/** User "bench", three items (1 each); headers with a one-hour HS256 token for "bench". */
export async function benchOrderRequest(): Promise<{ body: string; headers: { authorization: string; "content-type": string } }> {
  const jwt = await sign({ sub: "bench", exp: Math.floor(Date.now() / 1000) + 3600 }, BENCH_SECRET, "HS256");
  const body = JSON.stringify({
    userId: "bench",
    items: [
      { productId: "abc", quantity: 1 },
      { productId: "sku-1", quantity: 1 },
      { productId: "sku-2", quantity: 1 },
    ],
    shippingAddress: "Bhubaneswar",
    paymentMethod: "card",
  });
  return { body, headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" } };
}

/**
 * The environment a bench starts the API with: its port, database, pool size and the inventory
 * simulator; logs at warn, and rate limits off — one load generator on one address is not abuse:
 * per-client limits (issue 12) belong to a production edge, and left on they turn a run into a
 * measurement of 429s.
 */
export function benchApiEnv(o: { port: number; databaseUrl: string; poolMax: number; inventoryPort: number }): Record<string, string> {
  return {
    PORT: String(o.port),
    HOST: "127.0.0.1",
    DATABASE_URL: o.databaseUrl,
    DATABASE_POOL_MAX: String(o.poolMax),
    JWT_SECRET: BENCH_SECRET,
    INVENTORY_URL: `http://127.0.0.1:${o.inventoryPort}`,
    LOG_LEVEL: "warn",
    RATE_LIMIT_ENABLED: "false",
  };
}
