import type { Pool } from "@orders/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { token } from "./support/tokens.ts";

// Issue 17 item 3: on 2 shared cores every database round trip of the hot path costs CPU on both
// sides. The create path's are counted here, so one added by a middleware or a helper shows up
// as a failing test rather than as a slower benchmark nobody reruns.
let h: Harness;
let alice: string;
const statements: string[] = [];

/** The test database's pool, recording the text of every statement sent through it. */
function recording(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== "query") return Reflect.get(target, property, receiver);
      return (config: unknown, ...rest: unknown[]) => {
        statements.push(typeof config === "string" ? config : String((config as { text?: string }).text));
        return (target.query as (...a: unknown[]) => unknown).call(target, config, ...rest);
      };
    },
  });
}

beforeAll(async () => {
  h = await createHarness({ label: "round_trips", deps: (db) => ({ pool: recording(db.pool) }) });
  alice = await token("alice");
});
afterAll(() => h?.close());

describe("database round trips per request", () => {
  it("creates an order in two statements: the key's claim and the one write; a replay in one", async () => {
    statements.length = 0;
    const created = await h.call("POST", "/api/orders", { token: alice, body: orderBody("alice"), key: "rt-1" });
    expect(created.status).toBe(201);
    expect(created.headers.get("order-version")).toBe("1");
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/INSERT INTO idempotency_keys/);
    expect(statements[1]).toMatch(/INSERT INTO orders/);

    statements.length = 0;
    const replayed = await h.call("POST", "/api/orders", { token: alice, body: orderBody("alice"), key: "rt-1" });
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.headers.get("order-version")).toBe("1");
    expect(replayed.text).toBe(created.text);
    expect(statements.length).toBeLessThanOrEqual(2); // the claim, and the key read when the claim finds it taken
  });

  it("reads an order in one statement", async () => {
    const created = await h.call("POST", "/api/orders", { token: alice, body: orderBody("alice"), key: "rt-2" });
    statements.length = 0;
    const read = await h.call("GET", `/api/orders/${created.json.id}`, { token: alice });
    expect(read.status).toBe(200);
    expect(statements).toHaveLength(1);
  });
});
