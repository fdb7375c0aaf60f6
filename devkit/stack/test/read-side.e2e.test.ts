import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createPool, getOrderDetail, type Pool } from "@orders/db";
import { dumpReadModel } from "@orders/db/read-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelOrder, checkReadSide, hs256Token, type PlacedOrder, placeOrder, placeOrders, REPO_ROOT } from "../src/index.ts";
import { useE2eStack } from "./support/e2e-stack.ts";

// Issue 15, "done when": every state change of the demo's orders reaches the notification
// service and the read model in order with no sequence gap, and a rebuild yields the same model.
const { stack } = useE2eStack("e2e_read_side", { pendingDeadlineMs: 4_000, deadlineCron: "*/2 * * * * *" });
let readPool: Pool;

beforeAll(() => {
  readPool = createPool({ connectionString: stack().readDatabaseUrl as string, max: 2, applicationName: "e2e-read-side" });
});
afterAll(async () => {
  await readPool?.end();
});

const FINAL = new Set(["DELIVERED", "CANCELLED"]);
const settled = async (ids: readonly string[]) => {
  for (const id of ids) {
    await expect
      .poll(async () => (await getOrderDetail(stack().pool, id))?.status, { timeout: 180_000, interval: 250 })
      .toSatisfy((s: unknown) => FINAL.has(String(s)));
  }
};

describe("the read side end to end (api → outbox → orders → notification service + projector)", () => {
  const placed: PlacedOrder[] = [];

  it("every state change of the demo's orders reaches the notification service and the read model, in order, no gap", async () => {
    const place = (userId: string, i: number) =>
      placeOrder(stack().apiUrl, hs256Token(stack().jwtSecret, userId), userId, i, ["abc", "sku-1"]);
    // The demo's mix: mostly happy orders, and each kind of failure and cancel.
    placed.push(
      ...(await placeOrders({ apiUrl: stack().apiUrl, jwtSecret: stack().jwtSecret, count: 12, concurrency: 4 })),
      await place("sim-inv-fail-rs", 1),
      await place("sim-pay-retry-rs", 2),
      await place("sim-pay-flaky-rs", 3),
    );
    const held = await place("sim-dlv-hold-rs", 5) /* 5: paid by card (placeOrder picks the method by index) */;
    placed.push(held);
    await expect
      .poll(async () => (await getOrderDetail(stack().pool, held.id))?.status, { timeout: 120_000, interval: 250 })
      .toBe("CONFIRMED");
    expect(await cancelOrder(stack().apiUrl, stack().jwtSecret, held)).toBe(200);
    await settled(placed.map((p) => p.id));
    // The cancelled paid order settles its refund and release after it is CANCELLED.
    await expect
      .poll(async () => await getOrderDetail(stack().pool, held.id), { timeout: 120_000, interval: 250 })
      .toMatchObject({ paymentStatus: "REFUNDED", inventoryStatus: "RELEASED" });

    const report = await checkReadSide({
      pool: stack().pool,
      readPool,
      notificationUrl: stack().notificationUrl,
      orderIds: placed.map((p) => p.id),
      timeoutMs: 60_000,
    });
    expect(report.problems).toEqual([]);
    expect(report.figures.notification_events).toBe(report.figures.events);
    expect(report.figures.read_model_events).toBe(report.figures.events);

    // What the customers were told: a delivered order's confirmation, shipment and delivery; the
    // cancelled paid order's cancellation and refund.
    const sent = async (id: string) =>
      (
        (await (await fetch(`${stack().notificationUrl}/admin/sent?orderId=${id}`)).json()) as {
          items: { template: string; channel: string }[];
        }
      ).items.map((m) => `${m.template}:${m.channel}`);
    const delivered = await Promise.all(placed.map(async (p) => ({ p, o: await getOrderDetail(stack().pool, p.id) })));
    const one = delivered.find((d) => d.o?.status === "DELIVERED");
    expect(one).toBeDefined();
    expect(await sent(one?.p.id as string)).toEqual(
      expect.arrayContaining([
        "order-confirmed:email",
        "order-shipped:email",
        "order-shipped:sms",
        "order-delivered:email",
        "order-delivered:sms",
      ]),
    );
    // Exactly once each, in order (the refund's OrderStatusChanged, not a second RefundSettled).
    expect(await sent(held.id)).toEqual(["order-confirmed:email", "order-cancelled:email", "refund-issued:email"]);
  });

  it("a rebuild (reset + the relay's replay into the projector's input) yields the same read model", async () => {
    const before = await dumpReadModel(readPool);
    expect(before.length).toBeGreaterThanOrEqual(placed.length);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "apps/projector/src/cli.ts",
        "rebuild",
        "--json",
        // Debezium never marks rows published: the rebuild replays them all.
        ...(stack().outboxMode === "debezium" ? ["--include-unpublished"] : []),
      ],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          READ_MODEL_DATABASE_URL: stack().readDatabaseUrl as string,
          DATABASE_URL: stack().databaseUrl,
          KAFKA_BROKERS: stack().brokers.join(","),
          ORDERS_TOPIC: stack().topics.orders,
        },
        timeout: 120_000,
      },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) as string);
    expect(result.orders).toBe(before.length);
    expect(result.ordersWithGaps).toBe(0);
    await expect.poll(() => dumpReadModel(readPool), { timeout: 30_000, interval: 250 }).toEqual(before);
    // The replayed records were duplicates to the notification service: nothing sent twice, no gap.
    const report = await checkReadSide({
      pool: stack().pool,
      readPool,
      notificationUrl: stack().notificationUrl,
      orderIds: placed.map((p) => p.id),
    });
    expect(report.problems).toEqual([]);
  });
});
