import { uuidv7 } from "@orders/domain";
import { type ConsumedRecord, type DeadLetter, orderResultRecord, standaloneChunkContext } from "@orders/kafka";
import { type JobQueue, type PgBoss, QUEUES, startSagaBoss } from "@orders/lifecycle";
import { lifecycleChunkHandler } from "@orders/lifecycle/consumer";
import { createLogger } from "@orders/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { token } from "./support/tokens.ts";

/*
 * The API's cancel and the consumer's real chunk handler race on one order through the one
 * lifecycle writer (@orders/lifecycle applyEvents): whichever locks the order first decides, the
 * other decides on what it left. Effects are exactly once whatever the interleaving.
 */

let h: Harness;
let boss: PgBoss;
let alice: string;
// The app is built before pg-boss can start on its database: hand the insert through.
const jobs: JobQueue = { insert: (...args) => boss.insert(...args) };
const letters: DeadLetter[] = [];
/** The consumer's real chunk handler (what apps/consumer runs for every chunk of records). */
let handler: ReturnType<typeof lifecycleChunkHandler>;
const handle = (records: readonly ConsumedRecord[]) => handler(records, standaloneChunkContext);

beforeAll(async () => {
  h = await createHarness({ label: "cancelrace", http: true, deps: { jobs } });
  boss = await startSagaBoss({ connectionString: h.db.url, max: 2, supervise: false, schedule: false });
  handler = lifecycleChunkHandler({
    pool: h.db.pool,
    apply: { consumer: "cancel-race-consumer", source: "/order-service/consumer", decision: { maxPaymentAttempts: 3 }, jobs },
    deadLetter: async (l) => {
      letters.push(...l);
    },
    logger: createLogger({ service: "cancel-race", level: "silent" }),
  });
  alice = await token("alice");
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: true });
  await h?.close();
});

let offset = 0;
/** A record as the consumer receives it from `payments` / `inventory`. */
function consumed(type: string, id: string, orderId: string, data: Record<string, unknown> = {}): ConsumedRecord {
  const r = orderResultRecord("/test", type, id, orderId, data);
  return {
    topic: type.startsWith("Payment") ? "payments" : "inventory",
    partition: 0,
    offset: String(offset++),
    key: Buffer.from(r.key),
    value: Buffer.from(r.value as string),
    headers: { ...r.headers },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("cancel racing the consumer through the one writer", () => {
  it("applies each side exactly once: events, timeline, version and refund job agree with the final state", async () => {
    const seen = { cancelFirst: 0, consumerFirst: 0 };
    for (let i = 0; i < 16; i++) {
      const created = await h.call("POST", "/api/orders", { token: alice, key: `race-${i}`, body: orderBody("alice") });
      const id = created.json.id as string;
      await handle([consumed("InventoryReserved", `inv:${id}:reserved`, id)]);
      // Half the orders race a capture (confirm), half a final decline (cancel by the consumer).
      const paid = i % 2 === 0;
      const result = paid
        ? consumed("PaymentSuccess", `pay:${id}:success`, id, { paymentId: `p-${id}`, amount: "20.00" })
        : consumed("PaymentFailed", `pay:${id}:1:failed`, id, { reason: "declined", retryable: false, attempt: 1 });
      const [cancel] = await Promise.all([
        h.call("POST", `/api/orders/${id}/cancel`, { token: alice }),
        sleep(Math.random() * 4).then(() => handle([result])),
      ]);
      // A redelivery of the record after the race is a duplicate: nothing changes.
      await handle([result]);

      const { rows: events } = await h.db.pool.query("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [id]);
      const { rows: timeline } = await h.db.pool.query(
        "SELECT status, reason, caused_by FROM order_status_history WHERE order_id = $1 ORDER BY id",
        [id],
      );
      const {
        rows: [order],
      } = await h.db.pool.query("SELECT status, payment_status, version FROM orders WHERE id = $1", [id]);
      const {
        rows: [refunds],
      } = await h.db.pool.query("SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data->>'orderId' = $2", [
        QUEUES.refundPayment,
        id,
      ]);
      const types = events.map((e) => e.type as string);
      const applied = timeline.filter((t) => !String(t.reason).startsWith("skipped "));
      const count = (type: string) => types.filter((t) => t === type).length;
      // Every applied step also publishes its OrderStatusChanged (issue 15); the facts are the rest.
      const facts = types.filter((t) => t !== "OrderStatusChanged");

      expect(order.status).toBe("CANCELLED");
      expect(count("OrderCreated")).toBe(1);
      expect(count("OrderCancelled")).toBe(1);
      // OrderConfirmed at most once, and only if the timeline went through CONFIRMED.
      expect(count("OrderConfirmed")).toBe(applied.some((t) => t.status === "CONFIRMED") ? 1 : 0);
      expect(order.version).toBe(applied.length);
      expect(count("OrderStatusChanged")).toBe(order.version - 1);
      // No cause applied twice (the redelivery and the race's loser never add a second row).
      expect(new Set(applied.map((t) => t.caused_by)).size).toBe(applied.length);
      expect(refunds.n).toBe(order.payment_status === "SUCCEEDED" ? 1 : 0);
      expect(letters).toEqual([]);

      const cancelledBy = applied.find((t) => t.status === "CANCELLED")?.caused_by as string;
      if (paid) {
        // A capture is never lost: confirmed then cancelled, or cancelled then the late success refunded.
        expect(cancel.status).toBe(200);
        expect(order.payment_status).toBe("SUCCEEDED");
        expect(cancelledBy).toMatch(/^cancel:/);
        if (types.includes("OrderConfirmed")) {
          expect(facts).toEqual(["OrderCreated", "OrderConfirmed", "OrderCancelled"]);
          seen.consumerFirst++;
        } else {
          expect(facts).toEqual(["OrderCreated", "OrderCancelled"]);
          seen.cancelFirst++;
        }
      } else if (cancel.status === 200) {
        // The user's cancel won; the late decline only closes the payment.
        expect(cancelledBy).toMatch(/^cancel:/);
        expect(order.payment_status).toBe("FAILED");
        seen.cancelFirst++;
      } else {
        // The decline cancelled first; the user's cancel found nothing to cancel and wrote nothing.
        expect(cancel.status).toBe(409);
        expect(cancel.json.type).toBe("/problems/not-cancellable");
        expect(cancelledBy).toBe(`pay:${id}:1:failed`);
        expect(timeline.some((t) => String(t.reason).includes("CancelRequested"))).toBe(false);
        seen.consumerFirst++;
      }
    }
    expect(seen.cancelFirst + seen.consumerFirst).toBe(16);
  });

  it("a cancel's message id is its own: two cancels never dedupe each other, the second is refused", async () => {
    const created = await h.call("POST", "/api/orders", { token: alice, key: `twice-${uuidv7()}`, body: orderBody("alice") });
    const id = created.json.id as string;
    const results = await Promise.all([
      h.call("POST", `/api/orders/${id}/cancel`, { token: alice }),
      h.call("POST", `/api/orders/${id}/cancel`, { token: alice }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const { rows } = await h.db.pool.query("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [id]);
    expect(rows.map((r) => r.type)).toEqual(["OrderCreated", "OrderCancelled", "OrderStatusChanged"]);
  });
});
