import { describe, expect, it } from "vitest";
import { fulfilmentStatus, type Money, newLine, type OrderLine, statusDrift } from "../src/index.ts";

const m = (s: string) => s as Money;
const line = (over: Partial<OrderLine> = {}): OrderLine => ({ ...newLine("p", m("10.00"), 2), ...over });

describe("statusDrift: stored lifecycle columns against the counters and the ledger", () => {
  it("agrees for each final shape the writer produces", () => {
    expect(statusDrift({ status: "DELIVERED", paymentStatus: "SUCCEEDED" }, { fulfilment: "DELIVERED", captured: m("20.00") })).toEqual([]);
    expect(statusDrift({ status: "DELIVERED", paymentStatus: "SUCCEEDED" }, { fulfilment: "RETURNED", captured: m("20.00") })).toEqual([]);
    expect(statusDrift({ status: "CANCELLED", paymentStatus: "REFUNDED" }, { fulfilment: "CANCELLED", captured: m("20.00") })).toEqual([]);
    expect(statusDrift({ status: "CANCELLED", paymentStatus: "FAILED" }, { fulfilment: "CANCELLED", captured: m("0.00") })).toEqual([]);
    expect(
      statusDrift({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" }, { fulfilment: "PARTIALLY_CANCELLED", captured: m("20.00") }),
    ).toEqual([]);
  });

  it("reports an order whose status and lines disagree", () => {
    expect(statusDrift({ status: "CANCELLED", paymentStatus: "FAILED" }, { fulfilment: "OPEN", captured: m("0.00") })).toEqual([
      "order CANCELLED but its lines say OPEN",
    ]);
    expect(
      statusDrift({ status: "CONFIRMED", paymentStatus: "SUCCEEDED" }, { fulfilment: "CANCELLED", captured: m("20.00") }),
    ).toHaveLength(1);
    expect(statusDrift({ status: "DELIVERED", paymentStatus: "SUCCEEDED" }, { fulfilment: "SHIPPED", captured: m("20.00") })).toHaveLength(
      1,
    );
  });

  it("reports a payment status the ledger does not back, both ways", () => {
    expect(statusDrift({ status: "DELIVERED", paymentStatus: "SUCCEEDED" }, { fulfilment: "DELIVERED", captured: m("0.00") })).toEqual([
      "payment SUCCEEDED but the ledger has no capture",
    ]);
    expect(statusDrift({ status: "CANCELLED", paymentStatus: "FAILED" }, { fulfilment: "CANCELLED", captured: m("12.50") })).toEqual([
      "payment FAILED but the ledger has a capture of 12.50",
    ]);
  });

  it("reads fulfilment from the counters as the checker does", () => {
    const cancelledAll = [line({ cancelled: 2 })];
    const partlyReturned = [line({ shipped: 2, delivered: 2, returnRequested: 2, received: 1 })];
    expect(
      statusDrift({ status: "CANCELLED", paymentStatus: "NOT_STARTED" }, { fulfilment: fulfilmentStatus(cancelledAll), captured: m("0") }),
    ).toEqual([]);
    expect(
      statusDrift(
        { status: "DELIVERED", paymentStatus: "SUCCEEDED" },
        { fulfilment: fulfilmentStatus(partlyReturned), captured: m("20.00") },
      ),
    ).toEqual([]);
  });
});
