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

export interface ResilientLoadOptions {
  /** Current API URLs (a restarted api has a new one); requests rotate over them. */
  readonly apiUrls: () => readonly string[];
  readonly jwtSecret: string;
  readonly count: number;
  readonly concurrency?: number;
  /** Spread the orders over this long (order i starts no earlier than i/count of it). */
  readonly spreadMs?: number;
  /** Per request; a paused api must not hold a worker for good. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** Give one order up after retrying this long with its key. Default 5 min. */
  readonly retryForMs?: number;
  /** Every n-th order is sent once more with the same key after it succeeded: the answer must name the same order. */
  readonly replayEvery?: number;
  readonly onPlaced?: (order: PlacedOrder) => void;
  readonly log?: (line: string) => void;
}

export interface ResilientLoadResult {
  readonly placed: PlacedOrder[];
  /** Orders given up after `retryForMs` (their keys may still have created an order). */
  readonly failed: number;
  /** Attempts answered other than 200/201, by status ("network" for no answer). */
  readonly answers: Record<string, number>;
  /** Same key, different order id: an idempotency violation. */
  readonly replayMismatches: string[];
}

/**
 * Places orders through the API while it is being killed, paused and cut off from PostgreSQL:
 * each order keeps its Idempotency-Key across every retry (timeouts, 5xx, 409 in progress,
 * connection refused) and across apis, as a real client would.
 */
export async function placeOrdersResilient(options: ResilientLoadOptions): Promise<ResilientLoadResult> {
  const products = ["abc", "sku-1", "sku-2", "sku-3", "sku-4"];
  const answers: Record<string, number> = {};
  const replayMismatches: string[] = [];
  const placed: PlacedOrder[] = [];
  let failed = 0;
  let next = 0;
  let turn = 0;
  const started = Date.now();
  const send = async (i: number, userId: string, key: string, body: string): Promise<string | null> => {
    const deadline = Date.now() + (options.retryForMs ?? 300_000);
    const token = hs256Token(options.jwtSecret, userId);
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const urls = options.apiUrls();
      // Stay with an api that answers; move on to the next one after a failure.
      const url = urls[turn % Math.max(1, urls.length)];
      if (!url) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      try {
        const res = await fetch(`${url}/api/orders`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
          body,
          signal: AbortSignal.timeout(options.requestTimeoutMs ?? 5_000),
        });
        const text = await res.text();
        if (res.status === 201 || res.status === 200) return (JSON.parse(text) as { id: string }).id;
        turn++;
        answers[res.status] = (answers[res.status] ?? 0) + 1;
        if (![408, 409, 425, 429].includes(res.status) && res.status < 500)
          throw new Error(`order ${i}: POST /api/orders → ${res.status}: ${text.slice(0, 300)}`);
      } catch (error) {
        if ((error as Error).message.startsWith(`order ${i}:`)) throw error;
        turn++;
        answers.network = (answers.network ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempt)));
    }
    return null;
  };
  const worker = async () => {
    for (let i = next++; i < options.count; i = next++) {
      if (options.spreadMs) {
        const due = started + (options.spreadMs * i) / options.count;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      const userId = `user-${i % 50}`;
      const key = randomUUID();
      const items = [{ productId: products[i % products.length] ?? "abc", quantity: 1 + (i % 3) }];
      if (i % 4 === 0) items.push({ productId: products[(i + 1) % products.length] ?? "sku-1", quantity: 1 });
      const body = JSON.stringify({ userId, items, shippingAddress: `Street ${i}, Bhubaneswar`, paymentMethod: PAYMENT_METHODS[i % 5] });
      const id = await send(i, userId, key, body);
      if (!id) {
        failed++;
        options.log?.(`order ${i} given up after retrying its key`);
        continue;
      }
      const order = { id, userId };
      placed.push(order);
      options.onPlaced?.(order);
      if (options.replayEvery && i % options.replayEvery === 0) {
        const again = await send(i, userId, key, body);
        if (again && again !== id) replayMismatches.push(`key ${key}: first ${id}, replay ${again}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return { placed, failed, answers, replayMismatches };
}
