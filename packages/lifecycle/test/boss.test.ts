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
});
