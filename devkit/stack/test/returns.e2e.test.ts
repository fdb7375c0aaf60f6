import { randomUUID } from "node:crypto";
import { getOrderDetail } from "@orders/db";
import { describe, expect, it } from "vitest";
import { checkStack, hs256Token, type PlacedOrder, placeOrder } from "../src/index.ts";
import { useE2eStack } from "./support/e2e-stack.ts";

/*
 * Issue 13 end to end (api → relay/Debezium → simulators → consumer as processes): a partial
 * cancel of a paid order, a full and a partial return, a damaged return. The checker then proves
 * the money (net paid at the payment service = the ledger's; every requested refund settled) and
 * the stock (taken = held by delivered orders − restocked) against the simulators' own ledgers.
 */

const { stack } = useE2eStack("e2e_returns", { pendingDeadlineMs: 30_000 });

const placed: PlacedOrder[] = [];
/** i = 16: abc × 2 (49.99) + sku-1 × 1 (12.50) = 112.48, paid by UPI (i = 4 would be cash on delivery, issue 14). */
async function place(userId: string): Promise<PlacedOrder> {
  const o = await placeOrder(stack().apiUrl, hs256Token(stack().jwtSecret, userId), userId, 16, ["abc", "sku-1"]);
  placed.push(o);
  return o;
}
// biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
async function api(method: string, path: string, sub: string, body?: unknown, admin = false): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${hs256Token(stack().jwtSecret, sub, admin ? { role: "admin" } : {})}` };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    headers["idempotency-key"] = randomUUID();
  }
  const res = await fetch(`${stack().apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 120_000, interval: 250 });
const detail = (id: string) => getOrderDetail(stack().pool, id);
const lines = async (o: PlacedOrder) => (await api("GET", `/api/orders/${o.id}/lines`, o.userId)).json;

async function delivered(userId: string): Promise<PlacedOrder> {
  const o = await place(userId);
  await poll(() => detail(o.id)).toMatchObject({ status: "DELIVERED", paymentStatus: "SUCCEEDED" });
  return o;
}

async function returnAndReceive(
  o: PlacedOrder,
  ret: { productId: string; quantity: number }[],
  receipt: { productId: string; received: number; damaged: number }[],
) {
  const r = await api("POST", `/api/orders/${o.id}/returns`, o.userId, { lines: ret, reason: "e2e return" });
  expect(r.status).toBe(201);
  const rc = await api("POST", `/api/orders/${o.id}/returns/${r.json.id}/receipts`, "warehouse-1", { lines: receipt }, true);
  expect(rc.status).toBe(200);
  return r.json.id as string;
}

describe("returns, partial cancellation and partial refunds end to end", () => {
  it("partial cancel of a paid order: the units' share refunded at the payment service; cancelling the rest cancels and refunds the remainder", async () => {
    const o = await place("sim-dlv-hold-ret-1");
    await poll(() => detail(o.id)).toMatchObject({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" });
    const c = await api("POST", `/api/orders/${o.id}/cancellations`, o.userId, {
      lines: [{ productId: "abc", quantity: 1 }],
      reason: "one is enough",
    });
    expect(c.status).toBe(200);
    expect(c.json.money).toMatchObject({ captured: "112.48", refundRequested: "49.99" });
    await poll(() => lines(o)).toMatchObject({
      fulfilmentStatus: "PARTIALLY_CANCELLED",
      money: { status: "PARTIALLY_REFUNDED", refunded: "49.99" },
    });
    const rest = await api("POST", `/api/orders/${o.id}/cancel`, o.userId);
    expect(rest.status).toBe(200);
    await poll(() => detail(o.id)).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED", inventoryStatus: "RELEASED" });
    await poll(() => lines(o)).toMatchObject({ fulfilmentStatus: "CANCELLED", money: { status: "REFUNDED", refunded: "112.48" } });
  });

  it("a full return: every unit received, restocked and refunded", async () => {
    const o = await delivered("e2e-ret-full");
    const returnId = await returnAndReceive(
      o,
      [
        { productId: "abc", quantity: 2 },
        { productId: "sku-1", quantity: 1 },
      ],
      [
        { productId: "abc", received: 2, damaged: 0 },
        { productId: "sku-1", received: 1, damaged: 0 },
      ],
    );
    await poll(async () => (await api("GET", `/api/orders/${o.id}/returns/${returnId}`, o.userId)).json.status).toBe("CLOSED");
    await poll(() => lines(o)).toMatchObject({
      fulfilmentStatus: "RETURNED",
      money: { status: "REFUNDED", refunded: "112.48", netPaid: "0.00" },
    });
    await poll(async () => (await lines(o)).lines.map((l: { restocked: number }) => l.restocked)).toEqual([2, 1]);
  });

  it("a partial return refunds only the returned units", async () => {
    const o = await delivered("e2e-ret-partial");
    await returnAndReceive(o, [{ productId: "abc", quantity: 1 }], [{ productId: "abc", received: 1, damaged: 0 }]);
    await poll(() => lines(o)).toMatchObject({
      fulfilmentStatus: "PARTIALLY_RETURNED",
      money: { status: "PARTIALLY_REFUNDED", refunded: "49.99", netPaid: "62.49" },
    });
  });

  it("a damaged return is neither restocked nor refunded (default policy)", async () => {
    const o = await delivered("e2e-ret-damaged");
    const returnId = await returnAndReceive(o, [{ productId: "sku-1", quantity: 1 }], [{ productId: "sku-1", received: 0, damaged: 1 }]);
    expect((await api("GET", `/api/orders/${o.id}/returns/${returnId}`, "admin-1", undefined, true)).json).toMatchObject({
      status: "CLOSED",
      refunds: [],
    });
    expect(await lines(o)).toMatchObject({ money: { status: "CAPTURED", refunded: "0.00" } });
    expect((await lines(o)).lines.find((l: { productId: string }) => l.productId === "sku-1")).toMatchObject({ damaged: 1, restocked: 0 });
  });

  it("the checker proves the money and stock invariants against the simulators' ledgers", async () => {
    const report = await checkStack(
      stack(),
      placed.map((p) => p.id),
      { money: true },
    );
    expect(report.violations).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
