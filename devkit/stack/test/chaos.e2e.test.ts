import { randomUUID } from "node:crypto";
import { freshDatabase, kafkaBrokers, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  cancelOrder,
  checkStack,
  loadStackEnv,
  type PlacedOrder,
  placeOrders,
  progress,
  type Stack,
  startStack,
  unsettledOrders,
  waitUntilQuiet,
} from "../src/index.ts";

const ORDERS = Number(process.env.CHAOS_ORDERS ?? 2_000);
let db: TestDatabase;
let stack: Stack;

beforeAll(async () => {
  db = await freshDatabase("e2e_chaos");
  stack = await startStack({
    databaseUrl: db.url,
    kafkaBrokers: kafkaBrokers(),
    namespace: `-${randomUUID().slice(0, 8)}`,
    partitions: 6,
    consumers: 2,
    outboxMode: loadStackEnv().OUTBOX_MODE,
    chaos: { duplicateRate: 0.15, reorderWindowMs: 200 },
    inventoryFailureRate: 0.05,
    inventorySilenceRate: 0.005,
    paymentFailureRate: 0.15,
    paymentRetryableShare: 0.6,
    pendingDeadlineMs: 20_000,
    deadlineCron: "*/5 * * * * *",
    answerDelayMs: [1, 40],
    shipDelayMs: [20, 200],
    logLevel: "warn",
  });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

// A failing run names every process that crashed and shows the tail of each log: in CI the
// log files are gone with the machine.
beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    if (stack) console.error(await stack.diagnostics());
  });
});

describe("chaos: duplicates, reordering and a consumer killed mid-run", () => {
  it(`${ORDERS} orders all end in the state the decision table says, with every effect applied exactly once`, async () => {
    const placed: PlacedOrder[] = [];
    const ids = () => placed.map((p) => p.id);
    const cancels: Promise<number>[] = [];
    const load = placeOrders({
      apiUrl: stack.apiUrl,
      jwtSecret: stack.jwtSecret,
      count: ORDERS,
      concurrency: 12,
      onPlaced: (o) => {
        placed.push(o);
        if (placed.length % 25 === 0) cancels.push(cancelOrder(stack.apiUrl, stack.jwtSecret, o));
      },
    });

    // SIGKILL one consumer once a third of the orders are in, restart it two seconds later.
    const victim = stack.consumers[0];
    if (!victim) throw new Error("no consumer");
    await expect.poll(() => placed.length, { timeout: 120_000, interval: 100 }).toBeGreaterThan(ORDERS / 3);
    expect(await victim.stop("SIGKILL")).toBe(null);
    await new Promise((r) => setTimeout(r, 2_000));
    await victim.restart();

    await load;
    await Promise.all(cancels);
    const settled = await expect
      .poll(async () => (await progress(stack.pool, ids())).settled, { timeout: 420_000, interval: 1_000 })
      .toBe(ORDERS)
      .then(
        () => true,
        () => false,
      );
    if (!settled) {
      // Name the orders that never settled, with their timelines, so a failure can be diagnosed.
      const stuck = await unsettledOrders(stack.pool, ids());
      expect.fail(`${stuck.length} orders never settled:\n${JSON.stringify(stuck, null, 1).slice(0, 20_000)}`);
    }
    // Late duplicates from the chaos buffers: let the consumers drain them.
    await waitUntilQuiet(stack.pool);

    const report = await checkStack(
      stack,
      placed.map((p) => p.id),
    );
    expect(report.problems).toEqual([]);
    expect(report.figures.missing).toBe(0);
    expect(report.figures.duplicate_deliveries).toBeGreaterThan(0);
    expect((report.figures.status_DELIVERED ?? 0) + (report.figures.status_CANCELLED ?? 0)).toBe(ORDERS);
    expect(victim.restarts).toBe(1);
  });
});
