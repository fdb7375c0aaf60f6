import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { CreateOrderRequestSchema, parseConsumedRecord } from "../src/index.ts";

/*
 * Issue 12, defect 1: text PostgreSQL cannot store — NUL (refused by text and jsonb) and an
 * unpaired UTF-16 surrogate (its \u escape is refused by jsonb) — is refused at the validation
 * edge, for HTTP bodies and for the Kafka payloads the consumer reads, so that such a record is
 * dead-lettered as SCHEMA_INVALID instead of failing in PostgreSQL.
 */
const orderId = "0190f3a2-7b1c-7c3d-8e4f-0123456789ab";
const BAD = [
  ["NUL", "a\u0000b"],
  ["lone high surrogate", "a\ud800b"],
  ["lone low surrogate", "\udc00"],
  ["reversed pair", "\udc00\ud800"],
] as const;

describe("text PostgreSQL cannot store", () => {
  it.each(BAD)("a consumed record with %s in a string field is SCHEMA_INVALID", (_, bad) => {
    const records = [
      { ceType: "InventoryFailure", ceId: "m", value: JSON.stringify({ orderId, reason: bad }) },
      { ceType: "PaymentFailed", ceId: "m", value: JSON.stringify({ orderId, reason: bad, retryable: true, attempt: 1 }) },
      { ceType: "PaymentSuccess", ceId: "m", value: JSON.stringify({ orderId, paymentId: bad, amount: "1.00" }) },
      { ceType: "PaymentRefunded", ceId: "m", value: JSON.stringify({ orderId, paymentId: bad, amount: "1.00" }) },
      { ceType: "OrderShipped", ceId: "m", value: JSON.stringify({ orderId, trackingId: bad }) },
      { ceType: "InventoryReserved", value: JSON.stringify({ orderId, id: `m${bad}` }) },
    ];
    for (const record of records) {
      const parsed = parseConsumedRecord(record);
      expect(parsed, record.value).toMatchObject({ ok: false });
      expect(["SCHEMA_INVALID", "MISSING_ID"]).toContain((parsed as { reason: string }).reason);
    }
    expect(parseConsumedRecord({ ceType: "OrderShipped", ceId: "m", value: JSON.stringify({ orderId, trackingId: bad }) })).toMatchObject({
      ok: false,
      reason: "SCHEMA_INVALID",
    });
  });

  it.each(BAD)("a ce_id header with %s is not a usable message id", (_, bad) => {
    expect(parseConsumedRecord({ ceType: "InventoryReserved", ceId: bad, value: JSON.stringify({ orderId }) })).toMatchObject({
      ok: false,
      reason: "MISSING_ID",
    });
  });

  it.each(BAD)("a create-order body with %s in shippingAddress is refused with a pointer", (_, bad) => {
    const r = v.safeParse(CreateOrderRequestSchema, {
      userId: "u1",
      items: [{ productId: "abc", quantity: 1 }],
      shippingAddress: bad,
      paymentMethod: "card",
    });
    expect(r.success).toBe(false);
    expect(r.issues?.map((i) => v.getDotPath(i))).toEqual(["shippingAddress"]);
  });

  it("keeps well-formed text, astral characters included", () => {
    const address = "Bhubaneswar 😀 — ଭୁବନେଶ୍ୱର\nline 2";
    const r = v.safeParse(CreateOrderRequestSchema, {
      userId: "u1",
      items: [{ productId: "abc", quantity: 1 }],
      shippingAddress: address,
      paymentMethod: "card",
    });
    expect(r.success).toBe(true);
    const shipped = parseConsumedRecord({ ceType: "OrderShipped", ceId: "m", value: JSON.stringify({ orderId, trackingId: "😀-1" }) });
    expect(shipped.ok).toBe(true);
  });
});
