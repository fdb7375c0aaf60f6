import { randomUUID } from "node:crypto";
import { getOrderDetail, ledgerSums, type Pool } from "@orders/db";
import { hs256Token } from "./jwt.ts";
import type { PlacedOrder } from "./load.ts";

/*
 * Partial cancellations and returns through the API (issue 13), for the demo and the fault suite:
 * what a customer and the warehouse do, with retries on 409-in-flight/503 under the same key.
 */

export type ReturnKind = "full" | "partial" | "damaged";

interface Item {
  readonly productId: string;
  readonly quantity: number;
}

async function call(
  apiUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": "application/json", "idempotency-key": key } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      const json = text ? (JSON.parse(text) as unknown) : undefined;
      const inFlight = res.status === 409 && (json as { type?: string } | undefined)?.type === "/problems/idempotency-key-in-flight";
      if ((inFlight || res.status >= 500) && attempt < 10) {
        await new Promise((r) => setTimeout(r, 100 * attempt));
        continue;
      }
      return { status: res.status, json };
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

const orderOf = async (apiUrl: string, token: string, id: string) =>
  (await call(apiUrl, token, "GET", `/api/orders/${id}`)).json as { status: string; items: Item[] } | undefined;

/**
 * Waits (up to `waitMs`) until the order is CONFIRMED, then cancels one unit of its first line
 * that has more than one. Returns the HTTP status (200, 409 when it shipped or was cancelled
 * first) or null when there was nothing to cancel partially.
 */
export async function cancelOneUnit(apiUrl: string, jwtSecret: string, order: PlacedOrder, waitMs = 20_000): Promise<number | null> {
  const token = hs256Token(jwtSecret, order.userId);
  const until = Date.now() + waitMs;
  for (;;) {
    const o = await orderOf(apiUrl, token, order.id);
    if (o?.status === "CONFIRMED") {
      const line = o.items.find((i) => i.quantity > 1);
      if (!line) return null;
      const r = await call(apiUrl, token, "POST", `/api/orders/${order.id}/cancellations`, {
        lines: [{ productId: line.productId, quantity: 1 }],
        reason: "changed my mind about one unit",
      });
      return r.status;
    }
    if (!o || o.status !== "PENDING" || Date.now() > until) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A delivered order comes (partly) back: the customer requests the return, the warehouse records
 * the receipt — all good (`full`: every unit; `partial`: one unit) or one unit damaged.
 */
export async function returnOrder(
  apiUrl: string,
  jwtSecret: string,
  order: PlacedOrder,
  kind: ReturnKind,
): Promise<{ request: number; receipt: number }> {
  const token = hs256Token(jwtSecret, order.userId);
  const o = await orderOf(apiUrl, token, order.id);
  const first = o?.items[0];
  if (!o || !first) return { request: 404, receipt: 0 };
  const lines =
    kind === "full"
      ? o.items.map((i) => ({ productId: i.productId, quantity: i.quantity }))
      : [{ productId: first.productId, quantity: 1 }];
  const r = await call(apiUrl, token, "POST", `/api/orders/${order.id}/returns`, { lines, reason: `demo ${kind} return` });
  if (r.status !== 201) return { request: r.status, receipt: 0 };
  const returnId = (r.json as { id: string }).id;
  const receipt = lines.map((l) => ({
    productId: l.productId,
    received: kind === "damaged" ? 0 : l.quantity,
    damaged: kind === "damaged" ? l.quantity : 0,
  }));
  const admin = hs256Token(jwtSecret, "warehouse-1", { role: "admin" });
  const rc = await call(apiUrl, admin, "POST", `/api/orders/${order.id}/returns/${returnId}/receipts`, { lines: receipt });
  return { request: r.status, receipt: rc.status };
}

/** Money moved by the ledger for `ids`: refunds requested and settled (settled = requested once the world is quiet). */
export async function refundFigures(
  pool: Pool,
  ids: readonly string[],
): Promise<{ requested: number; settled: number; outstanding: number; amount: string }> {
  const sums = await ledgerSums(pool, ids);
  // Exact: "12.34" → 1234 (no float on money).
  const cents = (a: string) => {
    const [int = "0", frac = ""] = a.split(".");
    return Number(int) * 100 + Number(frac.padEnd(2, "0").slice(0, 2));
  };
  let amount = 0;
  let requested = 0;
  let settled = 0;
  for (const s of sums) {
    if (cents(s.refundRequested) > 0) requested++;
    if (cents(s.refundRequested) > 0 && cents(s.refundRequested) === cents(s.refunded)) settled++;
    amount += cents(s.refunded);
  }
  return {
    requested,
    settled,
    outstanding: requested - settled,
    amount: `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, "0")}`,
  };
}

/** The placed orders that are DELIVERED now (candidates for a return). */
export async function deliveredOrders(pool: Pool, placed: readonly PlacedOrder[]): Promise<PlacedOrder[]> {
  const out: PlacedOrder[] = [];
  for (const p of placed) if ((await getOrderDetail(pool, p.id))?.status === "DELIVERED") out.push(p);
  return out;
}
