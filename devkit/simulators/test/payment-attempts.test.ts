import type { OutgoingRecord } from "@orders/kafka";
import { beforeEach, describe, expect, it } from "vitest";
import type { ChaosEmitter } from "../src/kafka-side/chaos-emitter.ts";
import { PaymentService } from "../src/payment/payment-service.ts";

/* The payment simulator's attempts (issue 14): one payment per attempt key, per-method outcomes, COD. */

const emitted: OutgoingRecord[] = [];
const emitter = { emit: (r: OutgoingRecord) => emitted.push(r) } as unknown as ChaosEmitter;
const service = () => new PaymentService({ emitter, failureRate: 0, retryableShare: 0, minDelayMs: 0, maxDelayMs: 0 });
const answers = async () => {
  await new Promise((r) => setTimeout(r, 5));
  return emitted.splice(0).map((r) => ({ ...JSON.parse(String(r.value)), id: r.headers?.ce_id, type: r.headers?.ce_type }));
};

describe("payment simulator: attempts", () => {
  beforeEach(async () => {
    await answers(); // what the previous test's refunds sent
  });
  it("declines a card for a sim-pay-card-decline user and captures the customer's retry with another method", async () => {
    const s = service();
    s.charge({ orderId: "o1", attempt: 1, amount: "30.00", currency: "INR", userId: "sim-pay-card-decline-1", method: "card" });
    expect(await answers()).toMatchObject([{ type: "PaymentFailed", attempt: 1, retryable: false, id: "pay:o1:1:failed" }]);
    s.charge({ orderId: "o1", attempt: 2, amount: "30.00", currency: "INR", userId: "sim-pay-card-decline-1", method: "upi" });
    expect(await answers()).toMatchObject([{ type: "PaymentSuccess", attempt: 2, id: "pay:o1:success" }]);
    // A repeated charge of a decided attempt replays its own answer.
    expect(
      s.charge({ orderId: "o1", attempt: 1, amount: "30.00", currency: "INR", userId: "sim-pay-card-decline-1", method: "card" }),
    ).toMatchObject({
      replayed: true,
    });
    expect(await answers()).toMatchObject([{ type: "PaymentFailed", attempt: 1 }]);
  });

  it("each attempt is its own payment: a second capture shows in the ledger and can be refunded on top of the first", async () => {
    const s = service();
    s.charge({ orderId: "o2", attempt: 1, amount: "30.00", currency: "INR", method: "card" });
    s.charge({ orderId: "o2", attempt: 2, amount: "30.00", currency: "INR", method: "card" });
    expect((await answers()).map((a) => a.id)).toEqual(["pay:o2:success", "pay:o2:2:success"]);
    expect(s.ledger().find((l) => l.orderId === "o2")).toMatchObject({ captures: 2, capturedAmount: "60.00", refundedAmount: "0.00" });
    expect(s.refund("o2", "refund:o2:attempt:2", "30.00")).toMatchObject({ kind: "accepted", amount: "30.00" });
    expect(s.refund("o2", "refund:o2", "40.00")).toMatchObject({ kind: "over-refund", remaining: "30.00" });
    expect(s.ledger().find((l) => l.orderId === "o2")).toMatchObject({ capturedAmount: "60.00", refundedAmount: "30.00", refunded: false });
  });

  it("captures cash on delivery whatever the scripted card outcome", async () => {
    const s = service();
    s.charge({ orderId: "o3", attempt: 1, amount: "12.00", currency: "INR", userId: "sim-pay-decline-x", method: "cod" });
    expect(await answers()).toMatchObject([{ type: "PaymentSuccess", attempt: 1 }]);
  });
});
