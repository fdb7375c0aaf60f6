import { randomUUID } from "node:crypto";
import { hs256Token } from "./jwt.ts";

export interface PlacedOrder {
  readonly id: string;
  readonly userId: string;
}

export interface LoadOptions {
  readonly apiUrl: string;
  readonly jwtSecret: string;
  readonly count: number;
  readonly concurrency?: number;
  /** User id of the i-th order (scenario prefixes from the simulators go here). */
  readonly userOf?: (i: number) => string;
  readonly products?: readonly string[];
  readonly onPlaced?: (order: PlacedOrder) => void;
}

const PAYMENT_METHODS = ["card", "upi", "netbanking", "wallet", "cod"] as const;

/** POST /api/orders with an Idempotency-Key; retries 409/503/network errors with the same key. */
export async function placeOrder(
  apiUrl: string,
  token: string,
  userId: string,
  i: number,
  products: readonly string[],
): Promise<PlacedOrder> {
  const key = randomUUID();
  const items = [{ productId: products[i % products.length] ?? "abc", quantity: 1 + (i % 3) }];
  if (i % 4 === 0) items.push({ productId: products[(i + 1) % products.length] ?? "sku-1", quantity: 1 });
  const body = JSON.stringify({ userId, items, shippingAddress: `Street ${i}, Bhubaneswar`, paymentMethod: PAYMENT_METHODS[i % 5] });
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${apiUrl}/api/orders`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
        body,
      });
      const text = await res.text();
      if (res.status === 201 || res.status === 200) return { id: (JSON.parse(text) as { id: string }).id, userId };
      if ((res.status === 409 || res.status >= 500) && attempt < 20) {
        await new Promise((r) => setTimeout(r, 100 * attempt));
        continue;
      }
      throw new Error(`POST /api/orders → ${res.status}: ${text.slice(0, 300)}`);
    } catch (error) {
      if (attempt >= 20 || (error as Error).message.startsWith("POST /api/orders")) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Places `count` orders through the API with bounded concurrency. */
export async function placeOrders(options: LoadOptions): Promise<PlacedOrder[]> {
  const products = options.products ?? ["abc", "sku-1", "sku-2", "sku-3", "sku-4"];
  const userOf = options.userOf ?? ((i: number) => `user-${i % 50}`);
  const tokens = new Map<string, string>();
  const tokenFor = (u: string) => {
    let t = tokens.get(u);
    if (!t) {
      t = hs256Token(options.jwtSecret, u);
      tokens.set(u, t);
    }
    return t;
  };
  const placed: PlacedOrder[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < options.count; i = next++) {
      const userId = userOf(i);
      const order = await placeOrder(options.apiUrl, tokenFor(userId), userId, i, products);
      placed.push(order);
      options.onPlaced?.(order);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return placed;
}

/**
 * POST /api/orders/{id}/cancel as the owner; returns the HTTP status (200, or 409 when too
 * late). A connection that fails is tried again (cancelling is idempotent for the caller: a
 * repeat answers 409 once the first took effect), so a restarting API is no test failure.
 */
export async function cancelOrder(apiUrl: string, jwtSecret: string, order: PlacedOrder): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${apiUrl}/api/orders/${order.id}/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${hs256Token(jwtSecret, order.userId)}` },
      });
      await res.arrayBuffer();
      return res.status;
    } catch (error) {
      if (attempt >= 10) throw new Error(`POST /api/orders/${order.id}/cancel failed ${attempt} times`, { cause: error });
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
