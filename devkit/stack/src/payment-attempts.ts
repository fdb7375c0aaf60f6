import { randomUUID } from "node:crypto";
import { getOrderDetail, type Pool } from "@orders/db";
import { hs256Token } from "./jwt.ts";
import { type PlacedOrder, placeOrder } from "./load.ts";

/*
 * Payment attempts through the API (issue 14), for the demo: a customer whose card is declined for
 * good pays again with another method, and what the run did with attempts, windows and COD.
 */

/** POST /api/orders/{id}/payment-attempts under one key (retried on 409-in-flight/5xx); the HTTP status. */
export async function retryPayment(apiUrl: string, jwtSecret: string, order: PlacedOrder, method: string): Promise<number> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${apiUrl}/api/orders/${order.id}/payment-attempts`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${hs256Token(jwtSecret, order.userId)}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body: JSON.stringify({ method }),
      });
      const text = await res.text();
      const inFlight = res.status === 409 && text.includes("idempotency-key-in-flight");
      if ((inFlight || res.status >= 500) && attempt < 10) {
        await new Promise((r) => setTimeout(r, 100 * attempt));
        continue;
      }
      return res.status;
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/**
 * Places `count` card orders whose card the payment simulator declines for good
 * (`sim-pay-card-decline…`), waits for each to ask for action and pays again with UPI. Returns the
 * orders (`onPlaced` sees each at once) and the retry statuses (202, or 409 when the window closed
 * or the reservation failed first; null when the order never asked).
 */
export async function customerRetries(options: {
  apiUrl: string;
  jwtSecret: string;
  pool: Pool;
  count: number;
  waitMs?: number;
  onPlaced?: (o: PlacedOrder) => void;
}): Promise<{ placed: PlacedOrder[]; retries: (number | null)[] }> {
  const placed: PlacedOrder[] = [];
  const retries = await Promise.all(
    Array.from({ length: options.count }, async (_, k) => {
      const userId = `sim-pay-card-decline-demo-${k}`;
      // i = 0 mod 5: the load generator's card orders.
      const o = await placeOrder(options.apiUrl, hs256Token(options.jwtSecret, userId), userId, 5 * k, ["abc", "sku-1", "sku-2"]);
      placed.push(o);
      options.onPlaced?.(o);
      const until = Date.now() + (options.waitMs ?? 30_000);
      while (Date.now() < until) {
        const d = await getOrderDetail(options.pool, o.id);
        if (d?.paymentStatus === "ACTION_REQUIRED") return retryPayment(options.apiUrl, options.jwtSecret, o, "upi");
        if (d?.status === "CANCELLED") return null;
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    }),
  );
  return { placed, retries };
}

/** Places `count` cash-on-delivery orders whose parcel the delivery simulator has refused at the door (`sim-dlv-refuse…`). */
export async function refusedCodOrders(options: { apiUrl: string; jwtSecret: string; count: number }): Promise<PlacedOrder[]> {
  return Promise.all(
    Array.from({ length: options.count }, (_, k) => {
      const userId = `sim-dlv-refuse-demo-${k}`;
      // i = 4 mod 5: the load generator's cash-on-delivery orders.
      return placeOrder(options.apiUrl, hs256Token(options.jwtSecret, userId), userId, 5 * k + 4, ["abc", "sku-1", "sku-2"]);
    }),
  );
}

export interface PaymentAttemptFigures {
  /** Attempts the customers started after a decline. */
  readonly customerAttempts: number;
  /** Orders paid by a customer's attempt. */
  readonly paidAfterRetry: number;
  /** Orders cancelled because the action-required window closed. */
  readonly windowsExpired: number;
  /** Cash-on-delivery orders delivered and captured. */
  readonly codCaptured: number;
  /** Captures refunded because another attempt of the order had captured first. */
  readonly secondCaptures: number;
  /** Cash-on-delivery parcels refused at the door (cancelled after shipping, restocked through a return). */
  readonly refusedParcels: number;
}

/** What happened to the payment attempts of `ids` (read from the orders, 10 at a time). */
export async function paymentAttemptFigures(pool: Pool, ids: readonly string[]): Promise<PaymentAttemptFigures> {
  const f = { customerAttempts: 0, paidAfterRetry: 0, windowsExpired: 0, codCaptured: 0, secondCaptures: 0, refusedParcels: 0 };
  for (let i = 0; i < ids.length; i += 10) {
    const details = await Promise.all(ids.slice(i, i + 10).map((id) => getOrderDetail(pool, id)));
    for (const d of details) {
      if (!d) continue;
      const attempts = d.paymentAttempts ?? [];
      f.customerAttempts += attempts.filter((a) => a.origin === "customer").length;
      if (attempts.some((a) => a.origin === "customer" && a.status === "SUCCEEDED")) f.paidAfterRetry++;
      if (d.timeline.some((t) => t.reason === "no successful payment attempt before the window closed")) f.windowsExpired++;
      if (d.paymentMethod === "cod" && d.status === "DELIVERED" && d.paymentStatus === "SUCCEEDED") f.codCaptured++;
      f.secondCaptures += attempts.filter((a) => a.status === "REFUNDED").length;
      if (d.status === "CANCELLED" && d.deliveryStatus === "SHIPPED") f.refusedParcels++;
    }
  }
  return f;
}
