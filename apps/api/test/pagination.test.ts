import { createOrder } from "@orders/db";
import { type Money, uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { adminToken, token } from "./support/tokens.ts";

let h: Harness;
const seeded: string[] = [];

beforeAll(async () => {
  h = await createHarness({ label: "pages" });
  for (let i = 0; i < 300; i++) {
    const id = uuidv7();
    seeded.push(id);
    await createOrder(
      h.db.pool,
      {
        id,
        userId: i % 3 === 0 ? "other" : "pager",
        items: [{ productId: "abc", quantity: 1, unitPrice: "1.00" as Money }],
        currency: "INR",
        shippingAddress: "X",
        paymentMethod: "card",
        createdAt: new Date(),
      },
      { source: "/test", causedBy: "seed" },
    );
  }
});
afterAll(() => h.close());

async function walk(path: string, tok: string, limit: number, during: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res = await h.call("GET", `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { token: tok });
    expect(res.status).toBe(200);
    expect(res.json.items.length).toBeLessThanOrEqual(limit);
    seen.push(...res.json.items.map((o: { id: string }) => o.id));
    cursor = res.json.nextCursor;
    await during();
  } while (cursor);
  return seen;
}

describe("keyset pagination", () => {
  it("walks a user's few hundred orders with no duplicates or gaps while new orders arrive", async () => {
    const pager = await token("pager");
    let n = 0;
    const created: string[] = [];
    const seen = await walk("/api/orders/user/pager", pager, 17, async () => {
      const res = await h.call("POST", "/api/orders", { token: pager, key: `during-${++n}`, body: orderBody("pager") });
      expect(res.status).toBe(201);
      created.push(res.json.id);
    });
    const expected = seeded.filter((_, i) => i % 3 !== 0);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse()); // newest first, strictly
    expect(seen).toEqual([...expected].reverse()); // every order that existed, none that arrived later
    expect(created.length).toBeGreaterThan(10);
  });

  it("walks every user's orders as an admin, filtered by user", async () => {
    const admin = await adminToken();
    const all = await walk("/api/orders", admin, 100, async () => {});
    expect(new Set(all).size).toBe(all.length);
    for (const id of seeded) expect(all).toContain(id);
    const other = await walk("/api/orders?userId=other", admin, 33, async () => {});
    expect(other).toEqual(seeded.filter((_, i) => i % 3 === 0).reverse());
  });
});
