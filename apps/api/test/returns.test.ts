import { withTransaction } from "@orders/db";
import { applyEvents } from "@orders/lifecycle";
import { recordingJobQueue } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, orderBody } from "./support/harness.ts";
import { consumerApplier, openOrderWorld } from "./support/order-world.ts";

/*
 * Partial cancellations, returns and receipts over HTTP (issue 13): idempotent, owner/admin
 * scoped, problem+json refusals, every response checked against the OpenAPI document.
 */

let h: Harness;
let alice: string;
let bob: string;
let admin: string;
/** Jobs the writer inserted, as pg-boss would receive them. */
const { jobs, queue: recorder } = recordingJobQueue();

beforeAll(async () => {
  ({ h, alice, bob, admin } = await openOrderWorld({ label: "returns", deps: { jobs: recorder } }));
});
afterAll(() => h?.close());

let n = 0;
/** What the consumer would apply for the services' answers. */
const advance = consumerApplier(() => h.db.pool, { maxPaymentAttempts: 3 }, recorder);

/** abc 49.99 × 2, sku-1 12.50 × 4 = 149.98; paid and confirmed. */
async function paidOrder(): Promise<string> {
  const created = await h.call("POST", "/api/orders", {
    token: alice,
    key: `create-${n++}`,
    body: orderBody("alice", [
      { productId: "abc", quantity: 2 },
      { productId: "sku-1", quantity: 4 },
    ]),
  });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  await advance(id, { type: "InventoryReserved" }, { type: "PaymentSuccess" });
  return id;
}

describe("POST /api/orders/{id}/cancellations", () => {
  it("cancels units of a paid order, refunds their share, and replays the same key byte for byte", async () => {
    const id = await paidOrder();
    jobs.length = 0;
    const body = { lines: [{ productId: "sku-1", quantity: 3 }], reason: "too many pens" };
    const first = await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, key: "pc-1", body });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      orderId: id,
      status: "CONFIRMED",
      fulfilmentStatus: "PARTIALLY_CANCELLED",
      money: { status: "REFUND_PENDING", captured: "149.98", refundRequested: "37.50", refunded: "0.00", netPaid: "112.48" },
    });
    expect(first.json.lines.find((l: { productId: string }) => l.productId === "sku-1")).toMatchObject({ ordered: 4, cancelled: 3 });
    expect(jobs).toEqual([{ queue: "payment-refund", data: expect.objectContaining({ orderId: id, amount: "37.50" }) }]);

    const again = await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, key: "pc-1", body });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(jobs).toHaveLength(1);
    const other = await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, key: "pc-1", body: { ...body, reason: "x" } });
    expect(other.status).toBe(422);
  });

  it("cancelling every remaining unit cancels the order; the whole-order cancel still answers as before", async () => {
    const id = await paidOrder();
    await h.call("POST", `/api/orders/${id}/cancellations`, {
      token: alice,
      key: `a-${id}`,
      body: { lines: [{ productId: "abc", quantity: 2 }], reason: "r" },
    });
    const rest = await h.call("POST", `/api/orders/${id}/cancellations`, {
      token: alice,
      key: `b-${id}`,
      body: { lines: [{ productId: "sku-1", quantity: 4 }], reason: "r" },
    });
    expect(rest.json).toMatchObject({ status: "CANCELLED", fulfilmentStatus: "CANCELLED", money: { refundRequested: "149.98" } });
    const order = await h.call("GET", `/api/orders/${id}`, { token: alice });
    expect(order.json.status).toBe("CANCELLED");

    const other = await paidOrder();
    const whole = await h.call("POST", `/api/orders/${other}/cancel`, { token: alice });
    expect(whole.status).toBe(200);
    expect(whole.json.status).toBe("CANCELLED");
    const lines = await h.call("GET", `/api/orders/${other}/lines`, { token: alice });
    expect(lines.json).toMatchObject({ fulfilmentStatus: "CANCELLED", money: { refundRequested: "149.98" } });
  });

  it("answers problem+json: 400 without a key or with a bad body, 404 for another user's order, 409 before confirmation or after shipment, 422 over the quantity", async () => {
    const id = await paidOrder();
    const body = { lines: [{ productId: "abc", quantity: 1 }], reason: "r" };
    expect((await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, body })).status).toBe(400);
    const bad = await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, key: "k", body: { lines: [], reason: "r" } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect((await h.call("POST", `/api/orders/${id}/cancellations`, { token: bob, key: "k", body })).status).toBe(404);
    const over = await h.call("POST", `/api/orders/${id}/cancellations`, {
      token: alice,
      key: `over-${id}`,
      body: { lines: [{ productId: "abc", quantity: 3 }], reason: "r" },
    });
    expect(over.status).toBe(422);
    // The refused request gave its key back: the corrected retry with the same key goes through.
    expect((await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, key: `over-${id}`, body })).status).toBe(200);
    const pending = await h.call("POST", "/api/orders", { token: alice, key: `create-p-${id}`, body: orderBody("alice") });
    const early = await h.call("POST", `/api/orders/${pending.json.id}/cancellations`, { token: alice, key: `early-${id}`, body });
    expect(early.status).toBe(409);
    await advance(id, { type: "OrderShipped" });
    expect((await h.call("POST", `/api/orders/${id}/cancellations`, { token: alice, key: `late-${id}`, body })).status).toBe(409);
  });
});

describe("returns and receipts", () => {
  it("a partial return with a damaged unit: customer requests, admin records the receipt, both read it", async () => {
    const id = await paidOrder();
    await advance(id, { type: "OrderShipped" }, { type: "OrderDelivered" });
    expect(
      (
        await h.call("POST", `/api/orders/${id}/returns`, {
          token: bob,
          key: "r",
          body: { lines: [{ productId: "abc", quantity: 1 }], reason: "x" },
        })
      ).status,
    ).toBe(404);
    const created = await h.call("POST", `/api/orders/${id}/returns`, {
      token: alice,
      key: `ret-${id}`,
      body: { lines: [{ productId: "abc", quantity: 2 }], reason: "arrived scratched" },
    });
    expect(created.status).toBe(201);
    const returnId = created.json.id as string;
    expect(created.headers.get("location")).toBe(`/api/orders/${id}/returns/${returnId}`);
    expect(created.json).toMatchObject({
      status: "REQUESTED",
      lines: [{ productId: "abc", requested: 2, received: 0, damaged: 0 }],
      refunds: [],
    });

    const receipt = { lines: [{ productId: "abc", received: 1, damaged: 1 }] };
    expect(
      (await h.call("POST", `/api/orders/${id}/returns/${returnId}/receipts`, { token: alice, key: `rc-${id}`, body: receipt })).status,
    ).toBe(403);
    jobs.length = 0;
    const recorded = await h.call("POST", `/api/orders/${id}/returns/${returnId}/receipts`, {
      token: admin,
      key: `rc-${id}`,
      body: receipt,
    });
    expect(recorded.status).toBe(200);
    // Damaged units are not refunded by the default policy: one good unit, 49.99.
    expect(recorded.json).toMatchObject({ status: "REFUND_PENDING", refunds: [{ amount: "49.99", settled: false }] });
    expect(jobs[0]?.data).toMatchObject({ amount: "49.99" });
    const refundId = recorded.json.refunds[0].refundId as string;
    // More than is still awaited: 422.
    const over = await h.call("POST", `/api/orders/${id}/returns/${returnId}/receipts`, {
      token: admin,
      key: `rc2-${id}`,
      body: { lines: [{ productId: "abc", received: 1, damaged: 0 }] },
    });
    expect(over.status).toBe(422);

    await withTransaction(h.db.pool, (c) =>
      applyEvents(
        c,
        [
          {
            orderId: id,
            messageId: `pay:${refundId}`,
            event: { type: "Adjust", command: { type: "RefundSettled", id: `pay:${refundId}`, refundId, amount: "49.99" as never } },
          },
        ],
        {
          consumer: "test",
          source: "/test",
          decision: { maxPaymentAttempts: 3 },
          jobs: recorder,
        },
      ),
    );
    const list = await h.call("GET", `/api/orders/${id}/returns`, { token: alice });
    expect(list.json.items).toMatchObject([{ id: returnId, status: "CLOSED", refunds: [{ settled: true }] }]);
    const one = await h.call("GET", `/api/orders/${id}/returns/${returnId}`, { token: admin });
    expect(one.json.status).toBe("CLOSED");
    const lines = await h.call("GET", `/api/orders/${id}/lines`, { token: alice });
    // 2 of the 6 delivered units came back.
    expect(lines.json).toMatchObject({
      fulfilmentStatus: "PARTIALLY_RETURNED",
      money: { status: "PARTIALLY_REFUNDED", refunded: "49.99" },
    });
    expect(lines.json.lines.find((l: { productId: string }) => l.productId === "abc")).toMatchObject({
      returnRequested: 2,
      received: 1,
      damaged: 1,
    });
  });

  it("refuses a return before delivery (409) and answers 404 for an unknown return", async () => {
    const id = await paidOrder();
    const early = await h.call("POST", `/api/orders/${id}/returns`, {
      token: alice,
      key: `early-ret-${id}`,
      body: { lines: [{ productId: "abc", quantity: 1 }], reason: "x" },
    });
    expect(early.status).toBe(409);
    const missing = await h.call("GET", `/api/orders/${id}/returns/01900000-0000-7000-8000-000000000000`, { token: alice });
    expect(missing.status).toBe(404);
  });
});

describe("the timeline customers read", () => {
  it("shows each applied step but not the writer's skip diagnostics, which stay for admins", async () => {
    const id = await paidOrder();
    // A late, illegal result: recorded as a skip in the timeline.
    await advance(id, { type: "InventoryReserved" });
    await h.call("POST", `/api/orders/${id}/cancellations`, {
      token: alice,
      key: `tl-${id}`,
      body: { lines: [{ productId: "abc", quantity: 1 }], reason: "r" },
    });
    const mine = await h.call("GET", `/api/orders/${id}`, { token: alice });
    const reasons = mine.json.timeline.map((t: { reason: string }) => t.reason);
    expect(reasons.some((r: string) => r.startsWith("skipped "))).toBe(false);
    expect(reasons.some((r: string) => r.startsWith("cancelled units: 1×abc"))).toBe(true);
    const adminView = await h.call("GET", `/api/orders/${id}`, { token: admin });
    expect(adminView.json.timeline.some((t: { reason: string }) => t.reason.startsWith("skipped InventoryReserved"))).toBe(true);
  });
});
