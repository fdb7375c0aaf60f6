import { randomUUID } from "node:crypto";
import { getOrderDetail } from "@orders/db";
import { describe, expect, it } from "vitest";
import { checkStack, hs256Token, type PlacedOrder, placeOrder, waitUntilQuiet } from "../src/index.ts";
import { useE2eStack } from "./support/e2e-stack.ts";

/*
 * Issue 14 on the whole system (api → relay → simulators → consumer as processes): a declined card
 * retried by the customer with another method, a decline whose window closes, cash on delivery.
 */

const WINDOW_MS = 8_000;
const { stack } = useE2eStack("e2e_payment_attempts", {
  paymentActionWindowMs: WINDOW_MS,
  pendingDeadlineMs: 30_000,
  deadlineCron: "*/2 * * * * *",
});

/** `i` picks the payment method of the load generator: 0 → card, 4 → cod. */
const place = (userId: string, i: number): Promise<PlacedOrder> =>
  placeOrder(stack().apiUrl, hs256Token(stack().jwtSecret, userId), userId, i, ["abc", "sku-1"]);
const detail = (id: string) => getOrderDetail(stack().pool, id);
const eventually = (id: string, expected: Record<string, unknown>) =>
  expect.poll(() => detail(id), { timeout: 120_000, interval: 200 }).toMatchObject(expected);
const outboxTypes = async (id: string) =>
  (await stack().pool.query("SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [id])).rows.filter(
    (r: { type: string }) => r.type !== "OrderStatusChanged",
  );
const retry = (o: PlacedOrder, method: string) =>
  fetch(`${stack().apiUrl}/api/orders/${o.id}/payment-attempts`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${hs256Token(stack().jwtSecret, o.userId)}`,
      "content-type": "application/json",
      "idempotency-key": randomUUID(),
    },
    body: JSON.stringify({ method }),
  });

describe("payment attempts end to end (issue 14)", () => {
  const placed: PlacedOrder[] = [];

  it("decline → the customer retries with another method → confirmed → delivered", async () => {
    const o = await place("sim-pay-card-decline-1", 0);
    placed.push(o);
    await eventually(o.id, { status: "PENDING", paymentStatus: "ACTION_REQUIRED", inventoryStatus: "RESERVED" });
    const res = await retry(o, "upi");
    expect(res.status).toBe(202);
    await eventually(o.id, { status: "DELIVERED", paymentStatus: "SUCCEEDED", deliveryStatus: "DELIVERED" });
    expect((await detail(o.id))?.paymentAttempts).toMatchObject([
      { number: 1, method: "card", status: "FAILED", origin: "initial", idempotencyKey: `${o.id}:1` },
      { number: 2, method: "upi", status: "SUCCEEDED", origin: "customer", idempotencyKey: `${o.id}:2` },
    ]);
    expect((await outboxTypes(o.id)).map((r: { type: string }) => r.type)).toEqual([
      "OrderCreated",
      "PaymentActionRequired",
      "PaymentAttemptStarted",
      "OrderConfirmed",
    ]);
  });

  it("decline → the window closes → cancelled with payment-failed and the stock released", async () => {
    const o = await place("sim-pay-decline-e2e", 0);
    placed.push(o);
    await eventually(o.id, { status: "PENDING", paymentStatus: "ACTION_REQUIRED" });
    await eventually(o.id, { status: "CANCELLED", paymentStatus: "FAILED", inventoryStatus: "RELEASED" });
    const types = await outboxTypes(o.id);
    expect(types.map((r: { type: string }) => r.type)).toEqual(["OrderCreated", "PaymentActionRequired", "OrderCancelled"]);
    expect(types[2]?.payload).toMatchObject({ reason: "payment-failed", refund: false });
    // The window, not the PENDING deadline, decided: the timeline says so.
    expect((await detail(o.id))?.timeline.map((t) => t.reason)).toContain("no successful payment attempt before the window closed");
  });

  it("cash on delivery: confirmed without a charge, captured once delivered", async () => {
    const o = await place("e2e-cod-1", 4);
    placed.push(o);
    await eventually(o.id, { status: "DELIVERED", paymentStatus: "SUCCEEDED" });
    const d = await detail(o.id);
    expect(d?.paymentMethod).toBe("cod");
    expect(d?.paymentAttempts).toMatchObject([{ number: 1, method: "cod", status: "SUCCEEDED" }]);
    const reasons = d?.timeline.map((t) => t.reason) ?? [];
    expect(reasons).toContain("inventory reserved; cash on delivery");
    expect(reasons.indexOf("cash on delivery captured")).toBeGreaterThan(reasons.findIndex((r) => r.startsWith("delivered")));
    const ledger = (await (await fetch(`${stack().paymentUrl}/admin/ledger`)).json()) as { orderId: string; captures: number }[];
    expect(ledger.find((l) => l.orderId === o.id)).toMatchObject({ captures: 1 });
  });

  it("cash on delivery refused at the door → cancelled, nothing charged, restocked through the returns flow", async () => {
    const o = await place("sim-dlv-refuse-1", 4);
    placed.push(o);
    await eventually(o.id, { status: "CANCELLED", paymentStatus: "NOT_STARTED", inventoryStatus: "RELEASED" });
    expect((await outboxTypes(o.id)).map((r: { type: string }) => r.type)).toEqual([
      "OrderCreated",
      "OrderConfirmed",
      "ReturnRequested",
      "ReturnReceived",
    ]);
    // The inventory service restocked the parcel's units (its InventoryRestocked applied to the lines).
    const lines = async () =>
      (
        await stack().pool.query(
          "SELECT sum(quantity)::int AS ordered, sum(received_qty)::int AS received, sum(restocked_qty)::int AS restocked FROM order_items WHERE order_id = $1",
          [o.id],
        )
      ).rows[0] as { ordered: number; received: number; restocked: number };
    const { ordered } = await lines();
    await expect.poll(lines, { timeout: 60_000, interval: 200 }).toEqual({ ordered, received: ordered, restocked: ordered });
    const payments = (await (await fetch(`${stack().paymentUrl}/admin/ledger`)).json()) as { orderId: string }[];
    expect(payments.find((p) => p.orderId === o.id)).toBeUndefined();
  });

  it("the checker (money and stock against the simulators' ledgers) finds nothing wrong", async () => {
    await waitUntilQuiet(stack().pool);
    const report = await checkStack(
      stack(),
      placed.map((p) => p.id),
      { money: true },
    );
    expect(report.problems).toEqual([]);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
