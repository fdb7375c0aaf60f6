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
