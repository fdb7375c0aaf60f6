import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsumedRecord } from "@orders/kafka";
import { afterAll, describe, expect, it } from "vitest";
import { NotificationService } from "../src/notification/notification-service.ts";

// The handler's logic over records as the consumer hands them out; the whole process against the
// real broker and the real stack runs in devkit/stack's e2e.
const dir = mkdtempSync(join(tmpdir(), "notification-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let offset = 0;
const rec = (orderId: string, seq: number | null, type: string, body: Record<string, unknown> = {}): ConsumedRecord => ({
  topic: "orders",
  partition: 0,
  offset: String(offset++),
  key: Buffer.from(orderId),
  value: Buffer.from(JSON.stringify({ orderId, userId: "u-7", ...body })),
  headers: {
    ce_id: `${orderId}:${seq ?? offset}`,
    ce_type: type,
    ...(seq === null ? {} : { ce_sequence: String(seq).padStart(10, "0") }),
  },
});
const status = (status: string, previousStatus: string, extra: Record<string, unknown> = {}) => ({
  status,
  previousStatus,
  cause: "x",
  ...extra,
});

describe("notification service", () => {
  it("sends each customer-facing message once per event and ignores duplicates and unknown types", async () => {
    const s = new NotificationService();
    const id = "0190a000-0000-7000-8000-000000000001";
    const life = [
      rec(id, 1, "OrderCreated"),
      rec(id, 2, "OrderStatusChanged", status("PENDING", "PENDING")),
      rec(id, 3, "OrderConfirmed"),
      rec(id, 4, "SomethingNew", { whatever: true }),
      rec(id, 5, "OrderStatusChanged", status("SHIPPED", "CONFIRMED")),
      rec(id, 6, "OrderStatusChanged", status("DELIVERED", "SHIPPED")),
    ];
    await s.handle(life);
    await s.handle([life[2] as ConsumedRecord, life[4] as ConsumedRecord]); // a redelivery
    expect(s.sent(id).map((m) => `${m.sequence}:${m.template}:${m.channel}`)).toEqual([
      "3:order-confirmed:email",
      "5:order-shipped:email",
      "5:order-shipped:sms",
      "6:order-delivered:email",
      "6:order-delivered:sms",
    ]);
    expect(s.sent(id)[0]).toMatchObject({ to: "u-7@customers.example", eventType: "OrderConfirmed" });
    expect(s.snapshot()).toMatchObject({ events: 6, duplicates: 2, gaps: 0, openGaps: 0, unknownTypes: 1 });
    expect(s.trail(id)?.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("sends cancellation, refund and payment-action-required messages", async () => {
    const s = new NotificationService();
    const a = "0190a000-0000-7000-8000-00000000000a";
    await s.handle([
      rec(a, 1, "OrderCreated"),
      rec(a, 2, "PaymentActionRequired"),
      rec(a, 3, "OrderStatusChanged", status("PENDING", "PENDING", { paymentStatus: "ACTION_REQUIRED" })),
      rec(a, 4, "OrderCancelled", { refund: true }),
      rec(a, 5, "OrderStatusChanged", status("CANCELLED", "PENDING")),
      rec(a, 6, "OrderStatusChanged", status("CANCELLED", "CANCELLED", { cause: "PaymentRefunded", paymentStatus: "REFUNDED" })),
      rec(a, 7, "RefundSettled", { amount: "10.00", currency: "INR" }),
    ]);
    expect(s.sent(a).map((m) => `${m.template}:${m.channel}`)).toEqual([
      "payment-action-required:email",
      "payment-action-required:sms",
      "order-cancelled:email",
      "refund-issued:email",
      "refund-issued:email",
    ]);
  });

  it("flags a sequence gap (still sending), and closes it when the missing events arrive late", async () => {
    const gaps: unknown[] = [];
    const s = new NotificationService({ hooks: { onGap: (g) => gaps.push(g) } });
    const id = "0190a000-0000-7000-8000-000000000002";
    await s.handle([rec(id, 1, "OrderCreated"), rec(id, 4, "OrderConfirmed")]);
    expect(s.gaps()).toMatchObject([{ orderId: id, from: 2, to: 3, received: 4, filled: false }]);
    expect(gaps).toHaveLength(1);
    expect(s.openGaps()).toBe(1);
    expect(s.sent(id).map((m) => m.template)).toEqual(["order-confirmed"]);
    // A replay brings 2 and 3: the gap closes, 4 is not sent again, 3's shipment mail goes out.
    await s.handle([
      rec(id, 2, "OrderStatusChanged", status("PENDING", "PENDING")),
      rec(id, 3, "OrderStatusChanged", status("SHIPPED", "CONFIRMED")),
      rec(id, 4, "OrderConfirmed"),
    ]);
    expect(s.openGaps()).toBe(0);
    expect(s.sent(id).map((m) => m.template)).toEqual(["order-confirmed", "order-shipped", "order-shipped"]);
    // The first event of an order seen above 1 is a gap too (its beginning is missing).
    await s.handle([rec("0190a000-0000-7000-8000-000000000003", 2, "OrderConfirmed")]);
    expect(s.openGaps()).toBe(1);
  });

  it("is exactly once across a restart: the journal makes re-read records duplicates", async () => {
    const journalPath = join(dir, "journal.jsonl");
    const id = "0190a000-0000-7000-8000-000000000004";
    const first = new NotificationService({ journalPath });
    await first.handle([rec(id, 1, "OrderCreated"), rec(id, 2, "OrderConfirmed"), rec(id, null, "OrderCancelled")]);
    expect(first.sent()).toHaveLength(2);
    const second = new NotificationService({ journalPath });
    expect(second.sent()).toHaveLength(2);
    await second.handle([rec(id, 2, "OrderConfirmed"), rec(id, 3, "OrderStatusChanged", status("SHIPPED", "CONFIRMED"))]);
    expect(second.sent().map((m) => `${m.sequence}:${m.template}:${m.channel}`)).toEqual([
      "2:order-confirmed:email",
      "null:order-cancelled:email",
      "3:order-shipped:email",
      "3:order-shipped:sms",
    ]);
    expect(second.snapshot()).toMatchObject({ duplicates: 1, gaps: 0 });
  });

  it("never throws on an unreadable value or a record without a sequence", async () => {
    const s = new NotificationService();
    const bad: ConsumedRecord = {
      topic: "orders",
      partition: 0,
      offset: "1",
      key: null,
      value: Buffer.from("{not json"),
      headers: { ce_type: "OrderConfirmed" },
    };
    await expect(s.handle([bad, bad])).resolves.toBeUndefined();
    expect(s.snapshot()).toMatchObject({ events: 1, duplicates: 1 });
  });
});
