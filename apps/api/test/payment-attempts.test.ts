import type { DecisionContext } from "@orders/domain";
import { recordingJobQueue } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, orderBody } from "./support/harness.ts";
import { consumerApplier, openOrderWorld } from "./support/order-world.ts";

/*
 * POST /api/orders/{id}/payment-attempts and the attempts in GET /api/orders/{id} (issue 14):
 * idempotent, owner/admin scoped, problem+json refusals, responses checked against the OpenAPI document.
 */

let h: Harness;
let alice: string;
let bob: string;
let admin: string;
const { jobs, queue: recorder } = recordingJobQueue();
/** What the consumer decides with (a window configured). */
const consumerDecision: DecisionContext = { maxPaymentAttempts: 1, paymentActionWindowMs: 60_000, maxCustomerAttempts: 2 };

beforeAll(async () => {
  ({ h, alice, bob, admin } = await openOrderWorld({ label: "payment-attempts", deps: { jobs: recorder, maxCustomerPaymentAttempts: 2 } }));
});
afterAll(() => h?.close());

let n = 0;
const advance = consumerApplier(() => h.db.pool, consumerDecision, recorder);

/** An order whose card was declined for good: PENDING, payment ACTION_REQUIRED. */
async function declinedOrder(): Promise<string> {
  const created = await h.call("POST", "/api/orders", { token: alice, key: `create-${n++}`, body: orderBody("alice") });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  await advance(id, { type: "InventoryReserved" }, { type: "PaymentFailed", attempt: 1, reason: "card declined", retryable: false });
  return id;
}

describe("POST /api/orders/{id}/payment-attempts", () => {
  it("GET shows the declined attempt and the deadline; a retry starts attempt 2 with the chosen method, replayed by key", async () => {
    const id = await declinedOrder();
    const before = await h.call("GET", `/api/orders/${id}`, { token: alice });
    expect(before.json).toMatchObject({
      status: "PENDING",
      paymentStatus: "ACTION_REQUIRED",
      paymentAttempts: [
        { number: 1, method: "card", idempotencyKey: `${id}:1`, status: "FAILED", failureReason: "card declined", retryable: false },
      ],
    });
    expect(Date.parse(before.json.paymentActionDeadline)).toBeGreaterThan(Date.now());

    jobs.length = 0;
    const first = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: "retry-1", body: { method: "upi" } });
    expect(first.status).toBe(202);
    expect(first.headers.get("location")).toBe(`/api/orders/${id}`);
    expect(first.json).toMatchObject({
      paymentStatus: "PENDING",
      paymentActionDeadline: null,
      paymentAttempts: [{ number: 1 }, { number: 2, method: "upi", origin: "customer", status: "STARTED", idempotencyKey: `${id}:2` }],
    });
    expect(jobs).toEqual([{ queue: "payment-initiate", data: expect.objectContaining({ orderId: id, attempt: 2, method: "upi" }) }]);

    const again = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: "retry-1", body: { method: "upi" } });
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(jobs).toHaveLength(1);
    const other = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: "retry-1", body: { method: "wallet" } });
    expect(other.status).toBe(422);
  });

  it("409 problem+json when no action is required; the key is given back", async () => {
    const created = await h.call("POST", "/api/orders", { token: alice, key: `create-${n++}`, body: orderBody("alice") });
    const id = created.json.id as string;
    const refused = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: `nr-${id}`, body: { method: "upi" } });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.json.detail).toContain("NO_ACTION_REQUIRED");
    await advance(id, { type: "InventoryReserved" }, { type: "PaymentFailed", attempt: 1, reason: "card declined", retryable: false });
    const later = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: `nr-${id}`, body: { method: "upi" } });
    expect(later.status).toBe(202);
  });

  it("409 once the customer's attempts are spent", async () => {
    const id = await declinedOrder();
    for (const [i, method] of (["upi", "wallet"] as const).entries()) {
      expect(
        (await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: `x-${id}-${i}`, body: { method } })).status,
      ).toBe(202);
      await advance(id, { type: "PaymentFailed", attempt: i + 2, reason: "declined", retryable: false });
    }
    // The last decline cancelled the order (no attempts left): nothing is required any more.
    const spent = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: `x-${id}-9`, body: { method: "card" } });
    expect(spent.status).toBe(409);
    expect((await h.call("GET", `/api/orders/${id}`, { token: alice })).json).toMatchObject({
      status: "CANCELLED",
      paymentStatus: "FAILED",
    });
  });

  it("400 without Idempotency-Key or with cash on delivery; 404 for another user's order; an admin may retry", async () => {
    const id = await declinedOrder();
    expect((await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, body: { method: "upi" } })).status).toBe(400);
    const cod = await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: alice, key: "k-cod", body: { method: "cod" } });
    expect(cod.status).toBe(400);
    expect(cod.json.errors?.[0]?.pointer ?? "").toContain("method");
    expect((await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: bob, key: "k-bob", body: { method: "upi" } })).status).toBe(
      404,
    );
    expect(
      (await h.call("POST", `/api/orders/${id}/payment-attempts`, { token: admin, key: "k-admin", body: { method: "upi" } })).status,
    ).toBe(202);
  });
});
