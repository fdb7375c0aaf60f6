import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { getOrderDetail, withTransaction } from "@orders/db";
import { type LifecycleEvent, parseMoney, uuidv7 } from "@orders/domain";

import {
  type ApplyOptions,
  applyEvents,
  httpPaymentClient,
  type PgBoss,
  QUEUES,
  reconcilePayments,
  startSagaBoss,
} from "@orders/lifecycle";
import { createLogger } from "@orders/runtime";
import { placeOrder, useFreshDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentSimulator, singleCallPolicy } from "./payment-simulator.ts";

/*
 * Reconciliation against the real payment simulator over HTTP, with every answer it would put on
 * `payments` lost (its Kafka side replaced by a list): the order can learn of a capture or a
 * refund only by asking. This is the case the consumer alone cannot repair.
 */

const db = useFreshDatabase("reconcile");
let boss: PgBoss;
let paymentUrl: string;
const simulator = paymentSimulator();
const { service, faults } = simulator;
const logger = createLogger({ service: "reconcile-test", level: "silent" });
const policy = singleCallPolicy();
const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

beforeAll(async () => {
  boss = await startSagaBoss({ connectionString: db.url, max: 3, supervise: false, schedule: false });
  paymentUrl = await simulator.start();
});
afterAll(async () => {
  simulator.stop();
  await boss?.stop({ graceful: false, close: true });
});

const applyOptions = (): ApplyOptions => ({
  consumer: "reconcile-test",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 3 },
  jobs: boss,
});

async function orderWith(...events: LifecycleEvent[]): Promise<string> {
  const id = await placeOrder(db.pool, {
    items: [{ productId: "abc", quantity: 2, unitPrice: parseMoney("19.99") }],
    shippingAddress: "Pune",
  });
  await withTransaction(db.pool, (c) =>
    applyEvents(
      c,
      events.map((event) => ({ orderId: id, messageId: uuidv7(), event })),
      applyOptions(),
    ),
  );
  return id;
}

const charge = (orderId: string) => service.charge({ orderId, attempt: 1, amount: "39.98", currency: "INR" });
const deps = () => ({ pool: db.pool, payments: httpPaymentClient(paymentUrl, policy), logger, apply: applyOptions() });
const options = { minAgeMs: 0, pendingBoundMs: 60_000, lookbackMs: 3_600_000 };
const paymentOf = async (id: string) => (await getOrderDetail(db.pool, id))?.paymentStatus;
const refundJobs = async (id: string) =>
  (await db.pool.query("SELECT 1 FROM pgboss.job WHERE name = $1 AND data->>'orderId' = $2", [QUEUES.refundPayment, id])).rowCount;

describe("payment reconciliation with the payment service's own record", () => {
  const reserved: LifecycleEvent = { type: "InventoryReserved" };
  const cancel: LifecycleEvent = { type: "CancelRequested", reason: "user" };
  let capturedAfterCancel: string;
  let neverCharged: string;
  let capturedAfterAbandon: string;
  let capturedLive: string;
  let refundOutstanding: string;

  beforeAll(async () => {
    // Cancelled while its charge was on the way; the capture's answer was lost.
    capturedAfterCancel = await orderWith(reserved, cancel);
    charge(capturedAfterCancel);
    // Cancelled with its payment PENDING and nothing ever sent (the job spent its retries).
    neverCharged = await orderWith(reserved, cancel);
    // The stale-run timeline of issue 10: abandoned, then the paused run charged.
    capturedAfterAbandon = await orderWith(reserved, cancel, { type: "PaymentAbandoned", attempt: 1 });
    charge(capturedAfterAbandon);
    // Live and paid, but the PaymentSuccess never arrived.
    capturedLive = await orderWith(reserved);
    charge(capturedLive);
    // Cancelled after payment; the refund job never got through.
    refundOutstanding = await orderWith(reserved, { type: "PaymentSuccess" }, cancel);
    charge(refundOutstanding);
  });

  it("--dry-run lists every mismatch and what would be done, and changes nothing", async () => {
    const before = await Promise.all([capturedAfterCancel, neverCharged, capturedAfterAbandon, capturedLive].map(paymentOf));
    const { stdout } = await execFileAsync(process.execPath, [CLI, "reconcile", "--dry-run", "--json", "--min-age-ms", "0"], {
      env: { ...process.env, DATABASE_URL: db.url, PAYMENT_URL: paymentUrl },
    }).catch((e: { stdout: string; code: number }) => {
      // exit status 3: mismatches remain (a dry run repairs nothing)
      expect(e.code).toBe(3);
      return e;
    });
    const report = JSON.parse(stdout) as { findings: { orderId: string; mismatch: string; result: string }[]; remaining: number };
    const byOrder = Object.fromEntries(report.findings.map((f) => [f.orderId, f]));
    expect(byOrder[capturedAfterCancel]).toMatchObject({ mismatch: "CAPTURE_NOT_RECORDED", result: "would-repair" });
    expect(byOrder[neverCharged]).toMatchObject({ mismatch: "PAYMENT_LEFT_PENDING", result: "would-repair" });
    expect(byOrder[capturedAfterAbandon]).toMatchObject({ mismatch: "CAPTURE_NOT_RECORDED", result: "would-repair" });
    expect(byOrder[capturedLive]).toMatchObject({ mismatch: "CAPTURE_NOT_RECORDED", result: "would-repair" });
    expect(byOrder[refundOutstanding]).toMatchObject({ mismatch: "REFUND_OUTSTANDING", result: "would-repair" });
    expect(report.remaining).toBe(report.findings.length);
    expect(await Promise.all([capturedAfterCancel, neverCharged, capturedAfterAbandon, capturedLive].map(paymentOf))).toEqual(before);
    expect(service.lookup(refundOutstanding)?.refunded).toBe(false);
  });

  it("repairs each through the decision table: captures recorded and refunded, left-PENDING closed, live order confirmed", async () => {
    const first = await reconcilePayments(deps(), options);
    expect(first.findings.every((f) => f.result === "repaired")).toBe(true);
    // A capture on a cancelled order: recorded, refund job in the same transaction.
    for (const id of [capturedAfterCancel, capturedAfterAbandon]) {
      expect(await paymentOf(id)).toBe("SUCCEEDED");
      expect(await refundJobs(id)).toBe(1);
    }
    expect(await getOrderDetail(db.pool, neverCharged)).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
    expect(await getOrderDetail(db.pool, capturedLive)).toMatchObject({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" });
    // The outstanding refund was asked for again, and the service did it.
    expect(service.lookup(refundOutstanding)).toMatchObject({ captured: true, refunded: true });

    // The refund jobs run (here: the service refunds); their PaymentRefunded answers are lost too.
    for (const id of [capturedAfterCancel, capturedAfterAbandon]) service.refund(id);
    const second = await reconcilePayments(deps(), options);
    for (const id of [capturedAfterCancel, capturedAfterAbandon, refundOutstanding]) {
      expect(second.findings.find((f) => f.orderId === id)).toMatchObject({ mismatch: "REFUND_NOT_RECORDED", result: "repaired" });
      expect(await paymentOf(id)).toBe("REFUNDED");
    }
    // neverCharged is now CANCELLED/FAILED: asked once more, the service confirms no capture.
    expect(second.findings.find((f) => f.orderId === neverCharged)).toBeUndefined();

    // Settled: nothing left to compare, and the confirmed-uncharged order is not asked again.
    const third = await reconcilePayments(deps(), options);
    expect(third.findings).toEqual([]);
    expect(third.checked).toBe(0);
    // The repairs went through the one writer: timeline rows caused by reconciliation messages.
    const notes = (await getOrderDetail(db.pool, capturedAfterAbandon))?.timeline.map((t) => t.reason) ?? [];
    expect(notes).toContain("capture reported after the payment was closed; refund started");
  });

  it("abandons a cancelled order's PENDING payment past the bound even while the service is down", async () => {
    const id = await orderWith(reserved, cancel);
    faults.update({ mode: "down" });
    try {
      const within = await reconcilePayments(deps(), options);
      expect(within.unreachable).toBeGreaterThan(0);
      expect(await paymentOf(id)).toBe("PENDING");
      const past = await reconcilePayments(deps(), { ...options, pendingBoundMs: 0 });
      expect(past.findings.find((f) => f.orderId === id)).toMatchObject({ mismatch: "PAYMENT_LEFT_PENDING", result: "repaired" });
      expect(await paymentOf(id)).toBe("FAILED");
    } finally {
      faults.update({ mode: "up" });
    }
    // Not confirmed by the service yet: the next run (service back) asks, finds nothing, settles it.
    const after = await reconcilePayments(deps(), options);
    expect(after.unreachable).toBe(0);
    expect((await reconcilePayments(deps(), options)).checked).toBe(0);
  });
});

describe("payment reconciliation under a backlog (the 10 000-order soak)", () => {
  it("looks at money owed first: refunds outstanding and payments left PENDING come before confirming closed payments", async () => {
    // Older cancelled orders closed as FAILED that the service has not confirmed yet …
    for (let i = 0; i < 4; i++)
      await orderWith({ type: "InventoryReserved" }, { type: "CancelRequested", reason: "user" }, { type: "PaymentAbandoned", attempt: 1 });
    // … and, newer, a cancelled order whose capture has not been given back.
    const owed = await orderWith({ type: "InventoryReserved" }, { type: "PaymentSuccess" }, { type: "CancelRequested", reason: "user" });
    service.charge({ orderId: owed, attempt: 1, amount: "39.98", currency: "INR" });
    const report = await reconcilePayments(deps(), { ...options, limit: 2 });
    expect(report.findings.map((f) => f.orderId)).toContain(owed);
    expect(service.lookup(owed)?.refunded).toBe(true);
  });
});
