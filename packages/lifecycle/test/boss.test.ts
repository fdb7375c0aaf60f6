import { freshDatabase, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUES } from "../src/follow-ups.ts";
import { startSagaBoss } from "../src/jobs/boss.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("boss");
});
afterAll(() => db.drop());

describe("startSagaBoss", () => {
  it("lets several processes start on one database and keeps the queues' expiry current", async () => {
    const first = await startSagaBoss({ connectionString: db.url, max: 2, supervise: false, schedule: false, jobExpireSeconds: 120 });
    // A second process (say the API beside a consumer) finds the queues and updates them.
    const second = await startSagaBoss({ connectionString: db.url, max: 2, supervise: false, schedule: false, jobExpireSeconds: 45 });
    try {
      expect((await second.getQueue(QUEUES.initiatePayment))?.expireInSeconds).toBe(45);
      expect((await second.getQueue(QUEUES.pendingDeadline))?.policy).toBe("singleton");
    } finally {
      await first.stop({ graceful: false, close: true });
      await second.stop({ graceful: false, close: true });
    }
  });

  it("a chore whose worker died mid-run holds its singleton queue for minutes at most, not pg-boss' 15-minute default", async () => {
    // The 10 000-order soak: a consumer killed or frozen during a sweep left the singleton
    // deadline (and reconciliation) queue blocked by an active job until it expired, and orders
    // stayed PENDING past the run's end.
    const boss = await startSagaBoss({ connectionString: db.url, max: 2, supervise: false, schedule: false });
    try {
      for (const queue of [QUEUES.pendingDeadline, QUEUES.reconcilePayments, QUEUES.processedMessagesRetention]) {
        const expireInSeconds = (await boss.getQueue(queue))?.expireInSeconds ?? 900;
        expect(expireInSeconds, queue).toBeLessThanOrEqual(600);
      }
      expect((await boss.getQueue(QUEUES.pendingDeadline))?.expireInSeconds).toBeLessThanOrEqual(60);
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  });
});
