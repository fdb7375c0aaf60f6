import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { token } from "./support/tokens.ts";

let h: Harness;
let alice: string;
let n = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const create = () => h.call("POST", "/api/orders", { token: alice, key: `res-${++n}`, body: orderBody("alice") });
const orderCount = async () => (await h.db.pool.query("SELECT count(*)::int AS n FROM orders")).rows[0].n as number;

beforeAll(async () => {
  h = await createHarness({
    label: "resilience",
    http: true,
    policy: { timeoutMs: 150, retries: 2, initialDelayMs: 5, maxDelayMs: 20, breakerThreshold: 3, halfOpenAfterMs: 700 },
  });
  alice = await token("alice");
});
afterAll(() => h.close());
beforeEach(async () => {
  h.sim.faults.update({ mode: "up", latencyMs: 0, failureRate: 0, flapEvery: 1 });
  // Start each case with a closed breaker: wait out any half-open delay, then one good call.
  await sleep(750);
  expect((await create()).status).toBe(201);
});

describe("inventory service failures", () => {
  it("answers 503 with Retry-After when inventory is down, after retrying, and creates nothing", async () => {
    h.sim.faults.update({ mode: "down" });
    const before = await orderCount();
    const quotesBefore = h.sim.stats.quotes;
    const res = await create();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^[0-9]+$/);
    expect(res.json.type).toBe("/problems/dependency-unavailable");
    expect(await orderCount()).toBe(before);
    expect(h.sim.stats.quotes - quotesBefore).toBe(0); // the fault answers before the handler counts
  });

  it("answers 503 when inventory is too slow (per-attempt timeout)", async () => {
    h.sim.faults.update({ mode: "slow", latencyMs: 400 });
    const res = await create();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
  });

  it("rides out a flapping service by retrying transient failures", async () => {
    h.sim.faults.update({ mode: "flapping", flapEvery: 1 }); // fail, ok, fail, ok …
    for (let i = 0; i < 4; i++) expect((await create()).status).toBe(201);
  });

  it("opens the breaker after repeated failures, fails fast without calling inventory, and recovers", async () => {
    h.sim.faults.update({ mode: "down" });
    // The breaker wraps the retries: each request that failed after its retries counts once.
    for (let i = 0; i < 3; i++) expect((await create()).status).toBe(503);
    h.sim.faults.update({ mode: "up" });
    const served = h.sim.stats.quotes;
    const open = await create();
    expect(open.status).toBe(503);
    expect(open.json.detail).toMatch(/circuit open/);
    expect(open.headers.get("retry-after")).toBe("1");
    expect(h.sim.stats.quotes).toBe(served); // failed fast: inventory never called
    await sleep(750); // half-open: one trial call goes through and closes the breaker
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
  });

  it("keeps the breaker closed for business refusals (422 is an answer, not a failure)", async () => {
    for (let i = 0; i < 8; i++) {
      const res = await h.call("POST", "/api/orders", {
        token: alice,
        key: `refuse-${i}`,
        body: orderBody("alice", [{ productId: "nope", quantity: 1 }]),
      });
      expect(res.status).toBe(422);
    }
    expect((await create()).status).toBe(201);
  });

  it("reports the breaker state in /metrics", async () => {
    const metrics = await h.call("GET", "/metrics");
    expect(metrics.text).toMatch(/inventory_circuit_state\{[^}]*\} 0/);
  });
});
