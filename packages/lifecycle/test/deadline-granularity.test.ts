import { parseMoney } from "@orders/domain";
import { createLogger } from "@orders/runtime";
import { freshDatabase, placeOrder, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgBoss, startSagaBoss, startSagaWorkers } from "../src/index.ts";

/*
 * Issue 12, defect 6: pg-boss files cron schedules in 60-second slots, so a sweep "every 15 s"
 * ran once a minute and a 15 s deadline cancelled after 75 s. The bound measured here, with a
 * deadline far below a minute: from the order's created_at to its CANCELLED timeline row (both
 * database timestamps) is at most the deadline + one sweep interval + one job pickup + a
 * generous slack for a loaded machine — a correctness bound against the configured values, not
 * a speed claim. Bounded polls; the test gives up (and fails) at 45 s.
 */
const DEADLINE_MS = 2_000;
let db: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  db = await freshDatabase("deadline");
  boss = await startSagaBoss({ connectionString: db.url, max: 3, retryDelaySeconds: 1 });
});
afterAll(async () => {
  await boss.stop({ graceful: false, close: true });
  await db.drop();
});

describe("PENDING deadline granularity", () => {
  it("cancels an order within its deadline plus one sweep interval, not the next cron minute", { timeout: 90_000 }, async () => {
    const stop = await startSagaWorkers(boss, {
      pool: db.pool,
      payments: { initiate: async () => ({ kind: "accepted" }), refund: async () => ({ kind: "accepted" }) } as never,
      logger: createLogger({ service: "deadline-test", level: "silent" }),
      deadline: {
        deadlineMs: DEADLINE_MS,
        apply: { source: "/order-service/consumer", decision: { maxPaymentAttempts: 3 }, jobs: boss },
      },
      deadlineCron: "*/15 * * * * *",
    });
    try {
      const id = await placeOrder(db.pool, {
        items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("1.00") }],
        paymentMethod: "upi",
      });
      let row: { created: Date; cancelled: Date | null } | undefined;
      for (let i = 0; i < 180; i++) {
        const { rows } = await db.pool.query(
          `SELECT o.created_at AS created,
                  (SELECT min(h.at) FROM order_status_history h WHERE h.order_id = o.id AND h.status = 'CANCELLED') AS cancelled
             FROM orders o WHERE o.id = $1`,
          [id],
        );
        row = rows[0];
        if (row?.cancelled) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(row?.cancelled, "cancelled at all within 45 s").toBeTruthy();
      if (!row?.cancelled || !row.created) throw new Error("order not cancelled");
      const lateMs = (row.cancelled as Date).getTime() - (row.created as Date).getTime();
      // deadline + sweep interval (≤ deadline / 4 here) + pickup (1 s poll) + 6 s slack.
      const bound = DEADLINE_MS + DEADLINE_MS / 4 + 1_000 + 6_000;
      console.log(`deadline ${DEADLINE_MS} ms: cancelled ${lateMs} ms after creation (bound ${bound} ms)`);
      expect(lateMs).toBeGreaterThanOrEqual(DEADLINE_MS);
      expect(lateMs).toBeLessThanOrEqual(bound);
    } finally {
      await stop();
    }
  });
});
