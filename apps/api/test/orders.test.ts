import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { adminToken, token } from "./support/tokens.ts";

let h: Harness;
let alice: string;
let bob: string;
let admin: string;
let keyN = 0;
const key = () => `key-${++keyN}`;

beforeAll(async () => {
  h = await createHarness({ label: "orders" });
  alice = await token("alice");
  bob = await token("bob");
  admin = await adminToken();
});
afterAll(() => h.close());

const create = (tok: string, body: unknown = orderBody("alice"), k: string | null = key(), headers: Record<string, string> = {}) =>
  h.call("POST", "/api/orders", { token: tok, body, ...(k === null ? {} : { key: k }), headers });

describe("POST /api/orders", () => {
  it("creates a PENDING order priced by the inventory quote, with Location, items, totals and timeline", async () => {
    const res = await create(
      alice,
      orderBody("alice", [
        { productId: "abc", quantity: 2 },
        { productId: "sku-2", quantity: 3 },
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/api/orders/${res.json.id}`);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    expect(res.json).toMatchObject({
      userId: "alice",
      status: "PENDING",
      inventoryStatus: "PENDING",
      paymentStatus: "NOT_STARTED",
      deliveryStatus: "NOT_STARTED",
      totalAmount: "121.13",
      currency: "INR",
      shippingAddress: "Bhubaneswar",
      paymentMethod: "card",
      items: [
        { productId: "abc", quantity: 2, unitPrice: "49.99", lineTotal: "99.98" },
        { productId: "sku-2", quantity: 3, unitPrice: "7.05", lineTotal: "21.15" },
      ],
    });
    expect(res.json.timeline).toHaveLength(1);
    expect(res.json.timeline[0]).toMatchObject({ status: "PENDING", reason: "order placed" });
  });

  it("writes the OrderCreated outbox row with the request's traceparent in the same transaction", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const res = await create(alice, orderBody("alice"), key(), { traceparent });
    expect(res.status).toBe(201);
    const { rows } = await h.db.pool.query("SELECT type, payload, traceparent, ce_source FROM outbox WHERE aggregateid = $1", [
      res.json.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: "OrderCreated", traceparent, ce_source: "/order-service/api" });
    expect(rows[0].payload).toMatchObject({
      orderId: res.json.id,
      totalAmount: "99.98",
      items: [{ productId: "abc", unitPrice: "49.99" }],
    });
  });

  it("ignores a malformed traceparent instead of failing", async () => {
    const res = await create(alice, orderBody("alice"), key(), { traceparent: "garbage" });
    expect(res.status).toBe(201);
    const { rows } = await h.db.pool.query("SELECT traceparent FROM outbox WHERE aggregateid = $1", [res.json.id]);
    expect(rows[0].traceparent).toBeNull();
  });

  it("lets an admin create an order for another user", async () => {
    const res = await create(admin, orderBody("carol"));
    expect(res.status).toBe(201);
    expect(res.json.userId).toBe("carol");
  });

  it.each([
    ["unknown field", { ...orderBody("alice"), price: "1.00" }, "/price"],
    ["no items", orderBody("alice", []), "/items"],
    [
      "duplicate productIds",
      orderBody("alice", [
        { productId: "abc", quantity: 1 },
        { productId: "abc", quantity: 2 },
      ]),
      "/items",
    ],
    ["quantity 0", orderBody("alice", [{ productId: "abc", quantity: 0 }]), "/items/0/quantity"],
    ["quantity 1001", orderBody("alice", [{ productId: "abc", quantity: 1001 }]), "/items/0/quantity"],
    ["fractional quantity", orderBody("alice", [{ productId: "abc", quantity: 1.5 }]), "/items/0/quantity"],
    ["bad payment method", orderBody("alice", undefined, { paymentMethod: "cash" }), "/paymentMethod"],
    ["empty address", orderBody("alice", undefined, { shippingAddress: "   " }), "/shippingAddress"],
    ["long address", orderBody("alice", undefined, { shippingAddress: "x".repeat(501) }), "/shippingAddress"],
    ["bad userId", orderBody("ali ce"), "/userId"],
    [
      "too many items",
      orderBody(
        "alice",
        Array.from({ length: 101 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })),
      ),
      "/items",
    ],
    ["an array", [1, 2], "/userId"],
    ["null", null, "/"],
  ])("400 with errors naming the field: %s", async (_name, body, pointer) => {
    const before = await h.db.pool.query("SELECT count(*)::int AS n FROM orders");
    const res = await create(alice, body);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    const after = await h.db.pool.query("SELECT count(*)::int AS n FROM orders");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("400 without an Idempotency-Key, or with an invalid one", async () => {
    const missing = await create(alice, orderBody("alice"), null);
    expect(missing.status).toBe(400);
    expect(missing.json.errors[0].pointer).toBe("/Idempotency-Key");
    expect((await create(alice, orderBody("alice"), "k".repeat(256))).status).toBe(400);
    expect((await create(alice, orderBody("alice"), "")).status).toBe(400);
  });

  it("400 for malformed JSON, 415 for another content type, 413 for a body over the limit", async () => {
    const malformed = await h.call("POST", "/api/orders", {
      token: alice,
      key: key(),
      rawBody: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.type).toBe("/problems/validation-failed");
    const text = await h.call("POST", "/api/orders", {
      token: alice,
      key: key(),
      rawBody: "{}",
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    const none = await h.call("POST", "/api/orders", { token: alice, key: key(), rawBody: "{}" });
    expect(none.status).toBe(415);
    const big = await h.call("POST", "/api/orders", {
      token: alice,
      key: key(),
      rawBody: JSON.stringify(orderBody("alice", undefined, { shippingAddress: "x".repeat(70_000) })),
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("content-type")).toBe("application/problem+json");
  });

  it("403 when userId is not the caller", async () => {
    const res = await create(alice, orderBody("bob"));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ status: 403, type: "/problems/forbidden" });
  });

  it("422 naming the item for an unknown product or not enough stock, and creates nothing", async () => {
    const unknown = await create(
      alice,
      orderBody("alice", [
        { productId: "abc", quantity: 1 },
        { productId: "nope", quantity: 1 },
      ]),
    );
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ type: "/problems/unknown-product", errors: [{ pointer: "/items/1/productId" }] });
    const short = await create(alice, orderBody("alice", [{ productId: "limited", quantity: 4 }]));
    expect(short.status).toBe(422);
    expect(short.json.type).toBe("/problems/insufficient-stock");
    const soldOut = await create(alice, orderBody("alice", [{ productId: "sold-out", quantity: 1 }]));
    expect(soldOut.status).toBe(422);
  });
});

describe("GET /api/orders/{id}", () => {
  it("returns the owner's order, and any order to an admin", async () => {
    const created = await create(alice);
    const mine = await h.call("GET", `/api/orders/${created.json.id}`, { token: alice });
    expect(mine.status).toBe(200);
    expect(mine.json).toEqual(created.json);
    expect((await h.call("GET", `/api/orders/${created.json.id}`, { token: admin })).status).toBe(200);
  });

  it("reads back byte for byte the body that POST built without reading the order", async () => {
    // Items given out of product order: the 201 body sorts them as the detail query does.
    const created = await create(
      alice,
      orderBody("alice", [
        { productId: "sku-2", quantity: 3 },
        { productId: "abc", quantity: 1 },
        { productId: "sku-1", quantity: 2 },
      ]),
    );
    expect(created.status).toBe(201);
    expect(created.json.items.map((i: { productId: string }) => i.productId)).toEqual(["abc", "sku-1", "sku-2"]);
    const read = await h.call("GET", `/api/orders/${created.json.id}`, { token: alice });
    expect(read.text).toBe(created.text);
  });

  it("answers 404 — not 403 — for another user's order (IDOR)", async () => {
    const created = await create(alice);
    const res = await h.call("GET", `/api/orders/${created.json.id}`, { token: bob });
    expect(res.status).toBe(404);
    const missing = await h.call("GET", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057", { token: bob });
    expect(missing.status).toBe(404);
    // Same body shape for both: nothing tells "exists but not yours" from "does not exist".
    expect({ ...res.json, instance: undefined }).toEqual({ ...missing.json, instance: undefined });
  });

  it("400 when the id is not a UUID", async () => {
    const res = await h.call("GET", "/api/orders/not-a-uuid", { token: alice });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].pointer).toBe("/id");
  });
});

describe("GET /api/orders/user/{userId} and GET /api/orders", () => {
  it("lists a user's orders newest first with a cursor", async () => {
    const dave = await token("dave");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(dave, orderBody("dave"))).json.id);
    const first = await h.call("GET", "/api/orders/user/dave?limit=3", { token: dave });
    expect(first.status).toBe(200);
    expect(first.json.items.map((o: { id: string }) => o.id)).toEqual(ids.slice(2).reverse());
    expect(first.json.items[0].itemCount).toBe(1);
    const second = await h.call("GET", `/api/orders/user/dave?limit=3&cursor=${first.json.nextCursor}`, { token: dave });
    expect(second.json.items.map((o: { id: string }) => o.id)).toEqual(ids.slice(0, 2).reverse());
    expect(second.json.nextCursor).toBeNull();
    expect((await h.call("GET", "/api/orders/user/dave", { token: admin })).json.items).toHaveLength(5);
  });

  it("403 for another user's history", async () => {
    expect((await h.call("GET", "/api/orders/user/alice", { token: bob })).status).toBe(403);
  });

  it.each(["limit=0", "limit=101", "limit=abc", "limit=-1", "cursor=***", "cursor=bm90LWEtdXVpZA"])(
    "400 for a bad page query: %s",
    async (q) => {
      const res = await h.call("GET", `/api/orders/user/alice?${q}`, { token: alice });
      expect(res.status).toBe(400);
      expect(res.json.errors.length).toBeGreaterThan(0);
    },
  );

  it("lets only an admin list every user's orders, filtered by status and user", async () => {
    expect((await h.call("GET", "/api/orders", { token: alice })).status).toBe(403);
    const all = await h.call("GET", "/api/orders?limit=100", { token: admin });
    expect(all.status).toBe(200);
    expect(new Set(all.json.items.map((o: { userId: string }) => o.userId))).toEqual(new Set(["alice", "carol", "dave"]));
    const dave = await h.call("GET", "/api/orders?userId=dave&status=PENDING", { token: admin });
    expect(dave.json.items).toHaveLength(5);
    expect((await h.call("GET", "/api/orders?status=CANCELLED&userId=dave", { token: admin })).json.items).toHaveLength(0);
    expect((await h.call("GET", "/api/orders?status=LOST", { token: admin })).status).toBe(400);
  });
});

describe("POST /api/orders/{id}/cancel", () => {
  it("cancels a PENDING order, writing OrderCancelled and the timeline in the same transaction", async () => {
    const created = await create(alice);
    const res = await h.call("POST", `/api/orders/${created.json.id}/cancel`, { token: alice });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("CANCELLED");
    expect(res.json.timeline.map((t: { status: string }) => t.status)).toEqual(["PENDING", "CANCELLED"]);
    const { rows } = await h.db.pool.query("SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [created.json.id]);
    expect(rows.map((r) => r.type)).toEqual(["OrderCreated", "OrderCancelled", "OrderStatusChanged"]);
    expect(rows[1].payload).toMatchObject({ orderId: created.json.id, userId: "alice", reason: "cancelled-by-customer", refund: false });
  });

  it("cancels a CONFIRMED, paid order with refund=true and asks for a RefundPayment follow-up", async () => {
    const followUps: unknown[] = [];
    const h2 = await createHarness({
      label: "cancelpaid",
      deps: {
        jobs: {
          insert: async (queue, jobs, options) => {
            // Inserted on the cancel's own transaction.
            await options?.db?.executeSql("SELECT 1");
            followUps.push(...jobs.map((j) => ({ queue, data: j.data })));
            return null;
          },
        },
      },
    });
    try {
      const created = await h2.call("POST", "/api/orders", { token: alice, body: orderBody("alice"), key: "k" });
      await h2.db.pool.query(
        "UPDATE orders SET status = 'CONFIRMED', inventory_status = 'RESERVED', payment_status = 'SUCCEEDED', version = version + 1 WHERE id = $1",
        [created.json.id],
      );
      const res = await h2.call("POST", `/api/orders/${created.json.id}/cancel`, { token: admin });
      expect(res.status).toBe(200);
      const { rows } = await h2.db.pool.query("SELECT payload FROM outbox WHERE aggregateid = $1 AND type = 'OrderCancelled'", [
        created.json.id,
      ]);
      expect(rows[0].payload).toMatchObject({ refund: true, reason: "cancelled-by-admin" });
      expect(followUps).toEqual([
        { queue: "payment-refund", data: { orderId: created.json.id, causedBy: expect.stringMatching(/^cancel:/) } },
      ]);
    } finally {
      await h2.close();
    }
  });

  it("409 when the order is not cancellable in its status", async () => {
    const created = await create(alice);
    await h.call("POST", `/api/orders/${created.json.id}/cancel`, { token: alice });
    const again = await h.call("POST", `/api/orders/${created.json.id}/cancel`, { token: alice });
    expect(again.status).toBe(409);
    expect(again.json.type).toBe("/problems/not-cancellable");
    const shipped = await create(alice);
    await h.db.pool.query("UPDATE orders SET status = 'SHIPPED' WHERE id = $1", [shipped.json.id]);
    expect((await h.call("POST", `/api/orders/${shipped.json.id}/cancel`, { token: alice })).status).toBe(409);
  });

  it("404 for another user's order and for an unknown one", async () => {
    const created = await create(alice);
    expect((await h.call("POST", `/api/orders/${created.json.id}/cancel`, { token: bob })).status).toBe(404);
    expect((await h.call("GET", `/api/orders/${created.json.id}`, { token: alice })).json.status).toBe("PENDING");
    expect((await h.call("POST", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057/cancel", { token: alice })).status).toBe(404);
  });
});

describe("operational endpoints and unknown routes", () => {
  it("serves healthz, readyz, metrics, openapi.json and docs without auth", async () => {
    expect((await h.call("GET", "/healthz")).json).toEqual({ status: "ok" });
    expect((await h.call("GET", "/readyz")).json).toEqual({ status: "ok", checks: { database: "ok" } });
    const metrics = await h.call("GET", "/metrics");
    expect(metrics.text).toMatch(/http_requests_total\{[^}]*route="\/api\/orders"[^}]*status="201"/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_bucket/);
    expect(metrics.text).toMatch(/db_pool_connections\{[^}]*state="total"/);
    expect(metrics.text).toMatch(/idempotency_requests_total\{[^}]*outcome="created"/);
    expect((await h.call("GET", "/openapi.json")).json.openapi).toBe("3.1.0");
    const docs = await h.call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('id="swagger-ui"'); // Swagger UI, pointed at /openapi.json by its init script
    expect((await h.call("GET", "/docs/init.js")).text).toContain("/openapi.json");
  });

  it("answers problem+json 404 for unknown routes and 405 with Allow for a wrong method", async () => {
    const unknown = await h.call("GET", "/nope");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    const wrong = await h.call("DELETE", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057", { token: alice });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
    expect((await h.call("PUT", "/healthz")).status).toBe(405);
  });

  it("validated every response of this file against the OpenAPI document", () => {
    expect(h.checked()).toBeGreaterThan(50);
  });
});
