import { type PoolClient, sql, withTransaction } from "@orders/db";
import { decide, type OrderState, orderConfirmedPayload, uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { token } from "./support/tokens.ts";

let h: Harness;
let alice: string;

beforeAll(async () => {
  h = await createHarness({ label: "cancelrace", http: true });
  alice = await token("alice");
});
afterAll(() => h.close());

const exec = (c: PoolClient, q: sql.Query) => c.query({ text: q.text, values: q.values as unknown[] });

/** What the consumer does on PaymentSuccess, with the same optimistic version check. */
async function confirm(orderId: string): Promise<"confirmed" | "lost" | "skipped"> {
  return withTransaction(h.db.pool, async (client) => {
    const { rows } = await exec(client, sql.selectOrderState(orderId));
    const row = rows[0] as OrderState & { id: string; userId: string; version: number };
    const d = decide(row, { type: "PaymentSuccess" }, { maxPaymentAttempts: 3 });
    if (d.kind === "skip" || d.emit?.type !== "OrderConfirmed") return "skipped";
    await new Promise((r) => setTimeout(r, Math.random() * 5));
    const updated = await exec(client, sql.updateOrderState({ id: orderId, expectedVersion: row.version, ...d.next }));
    if (updated.rowCount !== 1) return "lost";
    await exec(client, sql.insertHistory({ orderId, status: d.next.status, reason: d.note, causedBy: "test" }));
    await exec(
      client,
      sql.insertOutboxEvent({
        id: uuidv7(),
        aggregateType: "Order",
        aggregateId: orderId,
        type: "OrderConfirmed",
        payload: orderConfirmedPayload({ id: orderId, userId: row.userId, totalAmount: "1.00", currency: "INR" }, new Date()),
        source: "/test",
        time: new Date().toISOString(),
      }),
    );
    return "confirmed";
  });
}

describe("cancel racing confirm", () => {
  it("is decided by the row version: never both from the same state, history and outbox agree", async () => {
    const outcomes = { cancelFirst: 0, confirmFirst: 0 };
    for (let i = 0; i < 15; i++) {
      const created = await h.call("POST", "/api/orders", { token: alice, key: `race-${i}`, body: orderBody("alice") });
      const id = created.json.id as string;
      await h.db.pool.query(
        "UPDATE orders SET inventory_status = 'RESERVED', payment_status = 'PENDING', version = version + 1 WHERE id = $1",
        [id],
      );
      const [cancel, confirmed] = await Promise.all([h.call("POST", `/api/orders/${id}/cancel`, { token: alice }), confirm(id)]);

      const { rows: events } = await h.db.pool.query("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [id]);
      const { rows: history } = await h.db.pool.query("SELECT status FROM order_status_history WHERE order_id = $1 ORDER BY id", [id]);
      const { rows: order } = await h.db.pool.query("SELECT status, version FROM orders WHERE id = $1", [id]);
      const types = events.map((e) => e.type);
      expect(cancel.status).toBe(200); // CONFIRMED is cancellable too: cancel always ends the race
      expect(order[0].status).toBe("CANCELLED");
      if (confirmed === "confirmed") {
        // Confirm won the version; cancel re-read CONFIRMED and cancelled after it.
        expect(types).toEqual(["OrderCreated", "OrderConfirmed", "OrderCancelled"]);
        expect(history.map((r) => r.status)).toEqual(["PENDING", "CONFIRMED", "CANCELLED"]);
        expect(order[0].version).toBe(4);
        outcomes.confirmFirst++;
      } else {
        expect(types).toEqual(["OrderCreated", "OrderCancelled"]);
        expect(history.map((r) => r.status)).toEqual(["PENDING", "CANCELLED"]);
        expect(order[0].version).toBe(3);
        outcomes.cancelFirst++;
      }
    }
    expect(outcomes.cancelFirst + outcomes.confirmFirst).toBe(15);
  });
});
