import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultInjector, type RunningInventory, StockStore, startInventorySimulator } from "../src/inventory/index.ts";

describe("inventory simulator over HTTP", () => {
  let sim: RunningInventory;
  beforeAll(async () => {
    sim = await startInventorySimulator();
  });
  afterAll(() => sim.close());

  const post = (path: string, body: unknown) =>
    fetch(`${sim.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("quotes prices as decimal strings from the catalogue", async () => {
    const res = await post("/quotes", {
      items: [
        { productId: "abc", quantity: 2 },
        { productId: "sku-2", quantity: 1 },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      currency: "INR",
      lines: [
        { productId: "abc", quantity: 2, unitPrice: "49.99" },
        { productId: "sku-2", quantity: 1, unitPrice: "7.05" },
      ],
    });
  });

  it("answers 422 naming unknown products and products short of stock", async () => {
    const unknown = await post("/quotes", { items: [{ productId: "nope", quantity: 1 }] });
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toEqual({ code: "UNKNOWN_PRODUCT", productIds: ["nope"] });
    const short = await post("/quotes", { items: [{ productId: "limited", quantity: 4 }] });
    expect(await short.json()).toEqual({ code: "INSUFFICIENT_STOCK", productIds: ["limited"] });
  });

  it("rejects malformed quote requests with 400", async () => {
    expect((await post("/quotes", { items: [{ productId: "abc", quantity: 0 }] })).status).toBe(400);
  });

  it("goes down and comes back through the admin endpoint", async () => {
    expect((await post("/admin/faults", { mode: "down" })).status).toBe(200);
    expect((await post("/quotes", { items: [{ productId: "abc", quantity: 1 }] })).status).toBe(503);
    expect((await fetch(`${sim.url}/healthz`)).status).toBe(200);
    await post("/admin/faults", { mode: "up" });
    expect((await post("/quotes", { items: [{ productId: "abc", quantity: 1 }] })).status).toBe(200);
  });

  it("changes stock at runtime", async () => {
    const put = await fetch(`${sim.url}/admin/products/new-1`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "New", price: "3.30", stock: 1 }),
    });
    expect(put.status).toBe(200);
    expect((await post("/quotes", { items: [{ productId: "new-1", quantity: 1 }] })).status).toBe(200);
    expect((await post("/quotes", { items: [{ productId: "new-1", quantity: 2 }] })).status).toBe(422);
  });
});

describe("fault injector", () => {
  it("alternates failures and successes when flapping", () => {
    const f = new FaultInjector({ mode: "flapping", failureRate: 0, latencyMs: 0, flapEvery: 2 });
    expect(Array.from({ length: 8 }, () => f.next().fail)).toEqual([true, true, false, false, true, true, false, false]);
  });

  it("fails the configured share of requests in up mode", () => {
    let i = 0;
    const f = new FaultInjector({ mode: "up", failureRate: 0.5, latencyMs: 0, flapEvery: 1 }, () => [0.1, 0.9][i++ % 2] ?? 0);
    expect([f.next().fail, f.next().fail]).toEqual([true, false]);
  });
});

describe("stock store", () => {
  it("reserves once per order and releases what it held", () => {
    const s = new StockStore([{ productId: "p", name: "P", price: "1.00", stock: 5 }]);
    expect(s.reserve("o1", [{ productId: "p", quantity: 3 }]).ok).toBe(true);
    expect(s.reserve("o1", [{ productId: "p", quantity: 3 }]).ok).toBe(true);
    expect(s.get("p")?.stock).toBe(2);
    expect(s.release("o1")).toBe(true);
    expect(s.release("o1")).toBe(false);
    expect(s.get("p")?.stock).toBe(5);
  });
});
