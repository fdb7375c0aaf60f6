import { withTransaction } from "@orders/db";
import { type AdjustmentCommand, type LifecycleEvent, parseConsumedRecord, parseMoney, uuidv7 } from "@orders/domain";
import type { OutgoingRecord } from "@orders/kafka";
import { type ApplyOptions, applyEvents, httpPaymentClient, reconcilePayments, refundPayment } from "@orders/lifecycle";
import { createLogger } from "@orders/runtime";
import { placeOrder, recordingJobQueue, useFreshDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentSimulator, singleCallPolicy } from "./payment-simulator.ts";

/*
 * Partial refunds against the real payment simulator over HTTP (issue 13): each refund is its own
 * idempotent refund at the service, an over-refund is refused, the answer carries the refund id and
 * amount, and a refund that never ran or whose answer was lost is repaired by reconciliation.
 */

const db = useFreshDatabase("partial_refunds");
let paymentUrl: string;
const simulator = paymentSimulator();
const { answers, service } = simulator;
const logger = createLogger({ service: "partial-refunds-test", level: "silent" });
const policy = singleCallPolicy();
/** Jobs the writer inserted, as pg-boss would receive them. */
const { jobs, queue: recorder } = recordingJobQueue();

beforeAll(async () => {
  paymentUrl = await simulator.start();
});
afterAll(async () => {
  simulator.stop();
});

const applyOptions: ApplyOptions = {
  consumer: "partial-refunds-test",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 3 },
  jobs: recorder,
};
const deps = () => ({ pool: db.pool, payments: httpPaymentClient(paymentUrl, policy), logger, apply: applyOptions });
const apply = (orderId: string, events: (LifecycleEvent | { type: "Adjust"; command: AdjustmentCommand })[], messageId?: string) =>
  withTransaction(db.pool, (c) =>
    applyEvents(
      c,
      events.map((event) => ({ orderId, messageId: messageId ?? uuidv7(), event })),
      applyOptions,
    ),
  );
const ledger = async (id: string) =>
  (await db.pool.query("SELECT kind, amount::text, refund_id FROM order_ledger WHERE order_id = $1 ORDER BY id", [id])).rows;
/** The simulator's answers as the consumer parses them from `payments`. */
const parsed = (r: OutgoingRecord) => {
  const headers = r.headers as Record<string, string>;
  const m = parseConsumedRecord({ ceType: headers.ce_type, ceId: headers.ce_id, value: r.value as string });
  if (!m.ok) throw new Error(m.detail);
  return m.message;
};

/** The simulator answers on a timer: wait until `n` answers are out. */
async function answered(n: number): Promise<void> {
  for (let i = 0; i < 200 && answers.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(answers.length).toBeGreaterThanOrEqual(n);
}

/** 2 × 19.99 = 39.98, captured at the simulator and in the ledger. */
async function paidOrder(): Promise<string> {
  const id = await placeOrder(db.pool, { items: [{ productId: "abc", quantity: 2, unitPrice: parseMoney("19.99") }] });
  service.charge({ orderId: id, attempt: 1, amount: "39.98", currency: "INR" });
  await apply(id, [{ type: "InventoryReserved" }, { type: "PaymentSuccess" }]);
  return id;
}

describe("partial refunds at the payment service", () => {
  it("refunds one unit under its own refund id; the answer settles the ledger; a second refund of the rest is refused beyond what is left", async () => {
    const id = await paidOrder();
    jobs.length = 0;
    await apply(id, [
      {
        type: "Adjust",
        command: { type: "CancelLines", id: `c-${id}`, lines: [{ productId: "abc", quantity: 1 }], reason: "one is enough" },
      },
    ]);
    const job = jobs[0]?.data as { orderId: string; causedBy: string; refundId: string; amount: string };
    expect(job).toMatchObject({ refundId: `refund:c-${id}`, amount: "19.99" });
    answers.length = 0;
    expect(await refundPayment(deps(), job)).toBe("refunded");
    // The job runs again (a retry after a lost HTTP answer): the same refund, not a second one.
    expect(await refundPayment(deps(), job)).toBe("refunded");
    expect(service.lookup(id)).toMatchObject({
      refundedAmount: "19.99",
      refunds: [{ refundId: `refund:c-${id}`, amount: "19.99" }],
      refunded: false,
    });
    await answered(2);
    const message = parsed(answers[0] as OutgoingRecord);
    expect(message.event).toEqual({
      type: "Adjust",
      command: { type: "RefundSettled", id: message.messageId, refundId: `refund:c-${id}`, amount: "19.99" },
    });
    // Delivered twice: once applied, then a duplicate.
    const m = parsed(answers[1] as OutgoingRecord);
    expect(m.messageId).toBe(message.messageId);
    expect((await apply(id, [message.event], message.messageId)).map((o) => o.kind)).toEqual(["applied"]);
    expect((await apply(id, [m.event], m.messageId)).map((o) => o.kind)).toEqual(["duplicate"]);
    expect((await ledger(id)).at(-1)).toEqual({ kind: "REFUND_SETTLED", amount: "19.99", refund_id: `refund:c-${id}` });

    // Over-refund: more than is left at the service is refused (422), nothing changes there.
    await expect(
      httpPaymentClient(paymentUrl, policy).refund({ orderId: id, refundId: `refund:x-${id}`, amount: "30.00" }),
    ).rejects.toThrow(/422/);
    expect(service.lookup(id)?.refundedAmount).toBe("19.99");
  });

  it("reconciliation asks again for a refund whose job never got through, and records one whose answer was lost", async () => {
    const a = await paidOrder();
    const b = await paidOrder();
    await apply(a, [
      { type: "Adjust", command: { type: "CancelLines", id: `ca-${a}`, lines: [{ productId: "abc", quantity: 1 }], reason: "r" } },
    ]);
    await apply(b, [
      { type: "Adjust", command: { type: "CancelLines", id: `cb-${b}`, lines: [{ productId: "abc", quantity: 1 }], reason: "r" } },
    ]);
    // a: the refund job ran out of retries (never reached the service). b: refunded, answer lost.
    service.refund(b, `refund:cb-${b}`, "19.99");
    answers.length = 0;
    const report = await reconcilePayments(deps(), { minAgeMs: 0, pendingBoundMs: 60_000, lookbackMs: 3_600_000 });
    const mine = report.findings.filter((f) => f.orderId === a || f.orderId === b);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ orderId: a, mismatch: "REFUND_OUTSTANDING", result: "repaired" }),
        expect.objectContaining({ orderId: b, mismatch: "REFUND_NOT_RECORDED", result: "repaired" }),
      ]),
    );
    expect(service.lookup(a)?.refunds).toEqual([{ refundId: `refund:ca-${a}`, amount: "19.99" }]);
    expect((await ledger(b)).at(-1)).toEqual({ kind: "REFUND_SETTLED", amount: "19.99", refund_id: `refund:cb-${b}` });
    // a's answer (now sent) settles it; the next run finds nothing left for either.
    await answered(1);
    const answer = parsed(
      answers.find((r) => (r.headers as Record<string, string>).ce_subject === a || String(r.key) === a) as OutgoingRecord,
    );
    await apply(a, [answer.event], answer.messageId);
    const again = await reconcilePayments(deps(), { minAgeMs: 0, pendingBoundMs: 60_000, lookbackMs: 3_600_000 });
    expect(again.findings.filter((f) => f.orderId === a || f.orderId === b)).toEqual([]);
  });
});
