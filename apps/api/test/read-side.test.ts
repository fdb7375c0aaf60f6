import { randomBytes } from "node:crypto";
import { createDatabase, createPool, dropDatabase, type Pool } from "@orders/db";
import { migrateReadModel, projectEvents, type ReadModelEventRow } from "@orders/db/read-model";
import { postgresServerUrl } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { adminToken, token } from "./support/tokens.ts";

// Issue 15: history and admin list from the read model (a database of its own), read-your-writes
// through Order-Version / X-Min-Version, the timeline endpoint. The projector's input here is the
// write side's outbox rows projected by the real fold (its Kafka path runs in devkit/stack's e2e).
let h: Harness;
let readPool: Pool;
const readName = `db_api_read_${randomBytes(4).toString("hex")}`;
let alice: string;
let bob: string;
let admin: string;
let n = 0;

beforeAll(async () => {
  const url = await createDatabase(postgresServerUrl(), readName);
  await migrateReadModel(url);
  readPool = createPool({ connectionString: url, max: 4, applicationName: "test-api-read" });
  h = await createHarness({ label: "read_side", deps: { readModel: { pool: readPool, waitMs: 400 } } });
  alice = await token("alice");
  bob = await token("bob");
  admin = await adminToken();
});
afterAll(async () => {
  await h?.close();
  await readPool?.end();
  await dropDatabase(postgresServerUrl(), readName);
});

/** What the projector would do with the order's records on `orders`. */
async function project(orderId: string): Promise<void> {
  const { rows } = await h.db.pool.query(
    `SELECT aggregateid AS "orderId", aggregate_sequence::int AS sequence, id::text AS "eventId", type, payload::text AS payload,
            ce_time AS "occurredAt" FROM outbox WHERE aggregateid = $1 ORDER BY sequence`,
    [orderId],
  );
  await projectEvents(readPool, rows as ReadModelEventRow[]);
}
const create = (tok: string, user: string) => h.call("POST", "/api/orders", { token: tok, body: orderBody(user), key: `k-${++n}` });
const history = (tok: string, user: string, minVersion?: string) =>
  h.call("GET", `/api/orders/user/${user}`, { token: tok, headers: minVersion ? { "x-min-version": minVersion } : {} });

describe("read side", () => {
  it("carries Order-Version on changes and serves history from the read model once it reached that version", async () => {
    const created = await create(alice, "alice");
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.headers.get("order-version")).toBe("1");

    // Not projected yet: the read waits its bound, then the write side answers (the order is there).
    const early = await history(alice, "alice", `${id}:1`);
    expect(early.status).toBe(200);
    expect(early.headers.get("x-read-source")).toBe("write-side");
    expect(early.json.items.map((o: { id: string }) => o.id)).toContain(id);

    // Projected while a read waits: the read model answers it.
    const waiting = history(alice, "alice", `${id}:1`);
    setTimeout(() => void project(id), 50);
    const late = await waiting;
    expect(late.headers.get("x-read-source")).toBe("read-model");
    expect(late.json.items).toEqual([
      expect.objectContaining({ id, status: "PENDING", totalAmount: created.json.totalAmount, itemCount: 1 }),
    ]);

    // The cancel is version 2; until it is projected, a read asking for it falls back.
    const cancelled = await h.call("POST", `/api/orders/${id}/cancel`, { token: alice });
    expect(cancelled.status).toBe(200);
    expect(cancelled.headers.get("order-version")).toBe("2");
    const stale = await history(alice, "alice", `${id}:2`);
    expect(stale.headers.get("x-read-source")).toBe("write-side");
    expect(stale.json.items[0]).toMatchObject({ id, status: "CANCELLED" });
    await project(id);
    const fresh = await history(alice, "alice", `${id}:2`);
    expect(fresh.headers.get("x-read-source")).toBe("read-model");
    expect(fresh.json.items[0]).toMatchObject({ id, status: "CANCELLED" });
    // Without a minimum version the read model answers at once.
    expect((await history(alice, "alice")).headers.get("x-read-source")).toBe("read-model");
  });

  it("keeps the write side's access rules and validates X-Min-Version", async () => {
    expect((await history(bob, "alice")).status).toBe(403);
    expect((await h.call("GET", "/api/orders", { token: alice })).status).toBe(403);
    const list = await h.call("GET", "/api/orders?userId=alice&status=CANCELLED", { token: admin });
    expect(list.status).toBe(200);
    expect(list.headers.get("x-read-source")).toBe("read-model");
    expect(list.json.items.length).toBeGreaterThan(0);
    expect((await history(alice, "alice", "not-a-version")).status).toBe(400);
  });

  it("GET /timeline: customer-facing entries for the owner, every event for an admin, 404 for others", async () => {
    const created = await create(alice, "alice");
    const id = created.json.id as string;
    await h.call("POST", `/api/orders/${id}/cancel`, { token: alice });
    // Before projection: the write side's timeline.
    const early = await h.call("GET", `/api/orders/${id}/timeline`, { token: alice });
    expect(early.headers.get("x-read-source")).toBe("write-side");
    expect(early.json.entries.map((e: { status: string }) => e.status)).toEqual(["PENDING", "CANCELLED"]);
    await project(id);
    const mine = await h.call("GET", `/api/orders/${id}/timeline`, { token: alice, headers: { "x-min-version": "2" } });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("x-read-source")).toBe("read-model");
    expect(mine.json).toMatchObject({ orderId: id, version: 2 });
    expect(mine.json.entries.map((e: { type: string }) => e.type)).toEqual(["OrderCreated", "OrderCancelled"]);
    const all = await h.call("GET", `/api/orders/${id}/timeline`, { token: admin });
    expect(all.json.entries.map((e: { sequence: number; type: string }) => `${e.sequence}:${e.type}`)).toEqual([
      "1:OrderCreated",
      "2:OrderCancelled",
      "3:OrderStatusChanged",
    ]);
    expect(all.json.entries[2]).toMatchObject({ status: "CANCELLED" });
    expect((await h.call("GET", `/api/orders/${id}/timeline`, { token: bob })).status).toBe(404);
  });
});

describe("read side with the read model down", () => {
  let down: Harness;
  let gone: Pool;
  beforeAll(async () => {
    // A read database that does not exist: every read-model query fails.
    const url = new URL(postgresServerUrl());
    url.pathname = `/db_missing_${randomBytes(4).toString("hex")}`;
    gone = createPool({ connectionString: url.toString(), max: 2, applicationName: "test-api-read-down" });
    down = await createHarness({ label: "read_side_down", deps: { readModel: { pool: gone, waitMs: 400 } } });
  });
  afterAll(async () => {
    await down?.close();
    await gone?.end();
  });

  it("answers history, lists and timelines from the write side and counts the failures", async () => {
    const created = await down.call("POST", "/api/orders", { token: alice, body: orderBody("alice"), key: "down-1" });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    for (const headers of [{}, { "x-min-version": `${id}:1` }] as Record<string, string>[]) {
      const res = await down.call("GET", "/api/orders/user/alice", { token: alice, headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-read-source")).toBe("write-side");
      expect(res.json.items.map((o: { id: string }) => o.id)).toContain(id);
    }
    const timeline = await down.call("GET", `/api/orders/${id}/timeline`, { token: alice });
    expect(timeline.status).toBe(200);
    expect(timeline.headers.get("x-read-source")).toBe("write-side");
    const metrics = await down.call("GET", "/metrics");
    expect(metrics.text).toMatch(/read_model_errors_total\{[^}]*\} 3/);
  });
});
