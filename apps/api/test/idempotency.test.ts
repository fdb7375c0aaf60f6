import { claimIdempotencyKey, deleteExpiredIdempotencyKeys } from "@orders/db";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestFingerprint } from "../src/services/idempotency.ts";
import { createHarness, type Harness, orderBody, TEST_POLICY } from "./support/harness.ts";
import { token } from "./support/tokens.ts";

let h: Harness;
let alice: string;
let bob: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // Real HTTP for the races; a lease short enough to watch it expire.
  h = await createHarness({ label: "idem", http: true, leaseMs: 1_000, policy: { ...TEST_POLICY, timeoutMs: 3_000 } });
  alice = await token("alice");
  bob = await token("bob");
});
afterAll(() => h.close());
beforeEach(() => h.sim.faults.update({ mode: "up", latencyMs: 0, failureRate: 0 }));

const post = (tok: string, key: string, body: unknown = orderBody(tok === bob ? "bob" : "alice")) =>
  h.call("POST", "/api/orders", { token: tok, key, body });
const ordersOf = async (userId: string) => (await h.db.pool.query("SELECT id FROM orders WHERE user_id = $1", [userId])).rows.length;

describe("Idempotency-Key", () => {
  it("replays the first response byte for byte, with Idempotent-Replayed: true", async () => {
    const first = await post(alice, "replay-1");
    const second = await post(alice, "replay-1");
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const { rows } = await h.db.pool.query("SELECT count(*)::int AS n FROM orders WHERE id = $1", [first.json.id]);
    expect(rows[0].n).toBe(1);
  });

  it("treats the same body with keys in another order as the same request", async () => {
    const a = await post(alice, "order-of-keys", {
      paymentMethod: "upi",
      shippingAddress: "X",
      items: [{ quantity: 1, productId: "abc" }],
      userId: "alice",
    });
    const b = await post(alice, "order-of-keys", {
      userId: "alice",
      items: [{ productId: "abc", quantity: 1 }],
      shippingAddress: "X",
      paymentMethod: "upi",
    });
    expect(b.text).toBe(a.text);
  });

  it("answers 422 when the key is reused with a different body", async () => {
    expect((await post(alice, "reuse-1")).status).toBe(201);
    const other = await post(alice, "reuse-1", orderBody("alice", [{ productId: "sku-1", quantity: 1 }]));
    expect(other.status).toBe(422);
    expect(other.json.type).toBe("/problems/idempotency-key-reused");
  });

  it("scopes keys per user", async () => {
    const a = await post(alice, "shared-key");
    const b = await post(bob, "shared-key");
    expect(b.status).toBe(201);
    expect(b.json.id).not.toBe(a.json.id);
  });

  it("answers 409 with Retry-After while the first request is still running, then replays", async () => {
    h.sim.faults.update({ latencyMs: 600 });
    const first = post(alice, "slow-1");
    await sleep(200);
    const during = await post(alice, "slow-1");
    expect(during.status).toBe(409);
    expect(during.json.type).toBe("/problems/idempotency-key-in-flight");
    expect(Number(during.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const done = await first;
    expect(done.status).toBe(201);
    const after = await post(alice, "slow-1");
    expect(after.text).toBe(done.text);
  });

  it("creates exactly one order from 50 concurrent identical requests", async () => {
    h.sim.faults.update({ latencyMs: 50 });
    const erin = await token("erin");
    const results = await Promise.all(Array.from({ length: 50 }, () => post(erin, "burst-1", orderBody("erin"))));
    const created = results.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") === null);
    expect(created).toHaveLength(1);
    for (const r of results) {
      expect([201, 409]).toContain(r.status);
      if (r.status === 201) expect(r.text).toBe(created[0]?.text);
    }
    expect(await ordersOf("erin")).toBe(1);
  });

  it("never creates two orders from concurrent different bodies under one key", async () => {
    h.sim.faults.update({ latencyMs: 30 });
    const fay = await token("fay");
    const bodies = Array.from({ length: 20 }, (_, i) => orderBody("fay", [{ productId: "abc", quantity: i + 1 }]));
    const results = await Promise.all(bodies.map((b) => post(fay, "burst-2", b)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results) expect([201, 409, 422]).toContain(r.status);
    expect(await ordersOf("fay")).toBe(1);
    const winner = results.find((r) => r.status === 201)?.json.items[0].quantity;
    for (const b of bodies.filter((b) => b.items[0]?.quantity !== winner).slice(0, 3))
      expect((await post(fay, "burst-2", b)).status).toBe(422);
  });

  it("gives the key back when the request failed without effect, so a retry starts afresh", async () => {
    const body = orderBody("alice", [{ productId: "later", quantity: 1 }]);
    expect((await post(alice, "release-1", body)).status).toBe(422);
    h.sim.store.upsert({ productId: "later", name: "Later", price: "5.00", stock: 10 });
    expect((await post(alice, "release-1", body)).status).toBe(201);
    h.sim.faults.update({ mode: "down" });
    expect((await post(alice, "release-2")).status).toBe(503);
    h.sim.faults.update({ mode: "up" });
    await sleep(600); // let the breaker half-open (TEST_POLICY.halfOpenAfterMs)
    expect((await post(alice, "release-2")).status).toBe(201);
  });

  it("lets a retry take over a key whose request crashed (lease expired), creating the order once", async () => {
    const body = orderBody("alice", [{ productId: "sku-3", quantity: 1 }]);
    // A request that claimed the key and then died: IN_FLIGHT with a 300 ms lease, no order.
    const claimed = await claimIdempotencyKey(h.db.pool, {
      userId: "alice",
      key: "crash-1",
      fingerprint: requestFingerprint("POST /api/orders", { ...body }),
      leaseToken: "00000000-0000-4000-8000-000000000001",
      leaseMs: 300,
      ttlMs: 86_400_000,
    });
    expect(claimed.claimed).toBe(true);
    expect((await post(alice, "crash-1", body)).status).toBe(409);
    await sleep(400);
    const retry = await post(alice, "crash-1", body);
    expect(retry.status).toBe(201);
    expect((await post(alice, "crash-1", body)).text).toBe(retry.text);
    const { rows } = await h.db.pool.query("SELECT state, order_id FROM idempotency_keys WHERE user_id = 'alice' AND key = 'crash-1'");
    expect(rows).toEqual([{ state: "COMPLETED", order_id: retry.json.id }]);
  });

  it("refuses to take over a crashed key with a different body", async () => {
    await claimIdempotencyKey(h.db.pool, {
      userId: "alice",
      key: "crash-2",
      fingerprint: "something-else",
      leaseToken: "00000000-0000-4000-8000-000000000002",
      leaseMs: 1,
      ttlMs: 86_400_000,
    });
    await sleep(20);
    expect((await post(alice, "crash-2")).status).toBe(422);
  });

  it("never leaves an order without its COMPLETED key", async () => {
    const { rows } = await h.db.pool.query(
      `SELECT count(*)::int AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.order_id = o.id AND k.state = 'COMPLETED')`,
    );
    expect(rows[0].n).toBe(0);
  });

  it("deletes expired keys in batches, and an expired key may be used again", async () => {
    for (let i = 0; i < 25; i++) {
      await claimIdempotencyKey(h.db.pool, {
        userId: "gc",
        key: `old-${i}`,
        fingerprint: "f",
        leaseToken: crypto.randomUUID(),
        leaseMs: 1,
        ttlMs: 1,
      });
    }
    await claimIdempotencyKey(h.db.pool, {
      userId: "gc",
      key: "fresh",
      fingerprint: "f",
      leaseToken: crypto.randomUUID(),
      leaseMs: 1,
      ttlMs: 86_400_000,
    });
    await sleep(20);
    expect(await deleteExpiredIdempotencyKeys(h.db.pool, { batchSize: 10 })).toBe(25);
    const { rows } = await h.db.pool.query("SELECT key FROM idempotency_keys WHERE user_id = 'gc'");
    expect(rows).toEqual([{ key: "fresh" }]);

    await h.db.pool.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = 'alice' AND key = 'reuse-1'",
    );
    const reused = await post(alice, "reuse-1", orderBody("alice", [{ productId: "sku-1", quantity: 1 }]));
    expect(reused.status).toBe(201);
    expect(reused.headers.get("idempotent-replayed")).toBeNull();
  });
});
