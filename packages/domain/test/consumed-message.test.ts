import { describe, expect, it } from "vitest";
import { parseConsumedRecord } from "../src/index.ts";

const orderId = "0190f3a2-7b1c-7c3d-8e4f-0123456789ab";

describe("parseConsumedRecord", () => {
  it("takes type and id from the CloudEvents headers", () => {
    const r = parseConsumedRecord({ ceType: "InventoryReserved", ceId: "m-1", value: JSON.stringify({ orderId }) });
    expect(r).toEqual({ ok: true, message: { messageId: "m-1", orderId, event: { type: "InventoryReserved" }, payload: { orderId } } });
  });

  it("falls back to the value's type and id fields", () => {
    const value = JSON.stringify({ id: "m-2", type: "PaymentFailed", orderId, reason: "declined", retryable: true, attempt: 2 });
    const r = parseConsumedRecord({ value });
    expect(r).toMatchObject({ ok: true, message: { messageId: "m-2", event: { type: "PaymentFailed", retryable: true, attempt: 2 } } });
  });

  it.each([
    ["UNPARSEABLE", { ceType: "InventoryReserved", ceId: "x", value: "{not json" }],
    ["UNPARSEABLE", { ceType: "InventoryReserved", ceId: "x", value: null }],
    ["UNKNOWN_TYPE", { ceType: "Bogus", ceId: "x", value: JSON.stringify({ orderId }) }],
    ["UNKNOWN_TYPE", { ceId: "x", value: JSON.stringify({ orderId }) }],
    ["MISSING_ID", { ceType: "InventoryReserved", value: JSON.stringify({ orderId }) }],
    ["MISSING_ID", { ceType: "InventoryReserved", ceId: "x".repeat(201), value: JSON.stringify({ orderId }) }],
    ["SCHEMA_INVALID", { ceType: "InventoryReserved", ceId: "x", value: JSON.stringify({ orderId: "nope" }) }],
    ["SCHEMA_INVALID", { ceType: "PaymentSuccess", ceId: "x", value: JSON.stringify({ orderId, paymentId: "p", amount: 12.5 }) }],
  ] as const)("%s: %j", (reason, record) => {
    expect(parseConsumedRecord(record)).toMatchObject({ ok: false, reason });
  });
});

describe("issue 13: refunds and restocks to the adjustment rules", () => {
  const parse = (ceType: string, ceId: string, body: Record<string, unknown>) =>
    parseConsumedRecord({ ceType, ceId, value: JSON.stringify({ orderId, ...body }) });

  it("a PaymentRefunded without a refund id, or with the whole refund's, stays the lifecycle's", () => {
    expect(parse("PaymentRefunded", "p-1", { paymentId: "pay", amount: "10.00" })).toMatchObject({
      ok: true,
      message: { event: { type: "PaymentRefunded" } },
    });
    expect(parse("PaymentRefunded", "p-2", { paymentId: "pay", amount: "10.00", refundId: `refund:${orderId}` })).toMatchObject({
      ok: true,
      message: { event: { type: "PaymentRefunded" } },
    });
  });

  it("a partial refund's PaymentRefunded settles that refund; an InventoryRestocked is the restock (its id the cause)", () => {
    expect(parse("PaymentRefunded", "p-3", { paymentId: "pay", amount: "4.50", refundId: "refund:cancellation:1" })).toMatchObject({
      ok: true,
      message: {
        event: { type: "Adjust", command: { type: "RefundSettled", id: "p-3", refundId: "refund:cancellation:1", amount: "4.50" } },
      },
    });
    expect(
      parse("InventoryRestocked", "inv-1", { restockId: "restock:receipt:1", lines: [{ productId: "abc", quantity: 2 }] }),
    ).toMatchObject({
      ok: true,
      message: {
        event: { type: "Adjust", command: { type: "StockRestocked", id: "restock:receipt:1", lines: [{ productId: "abc", quantity: 2 }] } },
      },
    });
    expect(parse("InventoryRestocked", "inv-2", { restockId: "restock:receipt:1", lines: [] })).toMatchObject({
      ok: false,
      reason: "SCHEMA_INVALID",
    });
  });
});
