import { describe, expect, it } from "vitest";
import { cloudEventHeaders, eventIdOf, eventTypeOf, headerText, outboxRecord } from "./cloudevents.ts";

const row = {
  id: "0195f0a0-0000-7000-8000-000000000001",
  aggregateId: "0195f0a0-0000-7000-8000-0000000000aa",
  type: "OrderCreated",
  payload: '{"a": 1}',
  specVersion: "1.0",
  source: "/order-service/api",
  time: "2025-01-01T00:00:00.000Z",
  contentType: "application/json",
  traceparent: null,
};

describe("cloudevents", () => {
  it("builds the binary-mode headers from the outbox columns, in a fixed order, without traceparent when absent", () => {
    expect(Object.entries(cloudEventHeaders(row))).toEqual([
      ["ce_specversion", "1.0"],
      ["ce_id", row.id],
      ["ce_type", "OrderCreated"],
      ["ce_source", "/order-service/api"],
      ["ce_time", "2025-01-01T00:00:00.000Z"],
      ["ce_subject", row.aggregateId],
      ["content-type", "application/json"],
    ]);
  });

  it("puts the per-order sequence as ce_sequence after ce_subject, verbatim, and omits it for a row without one", () => {
    const headers = cloudEventHeaders({ ...row, ceSequence: "0000000042" });
    expect(Object.keys(headers)).toEqual([
      "ce_specversion",
      "ce_id",
      "ce_type",
      "ce_source",
      "ce_time",
      "ce_subject",
      "ce_sequence",
      "content-type",
    ]);
    expect(headers.ce_sequence).toBe("0000000042");
    expect(cloudEventHeaders({ ...row, ceSequence: null })).not.toHaveProperty("ce_sequence");
  });

  it("adds traceparent when the row carries one and keys the record by aggregate id", () => {
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const rec = outboxRecord({ ...row, traceparent: tp });
    expect(rec.headers.traceparent).toBe(tp);
    expect(rec.key).toBe(row.aggregateId);
    expect(rec.value).toBe('{"a": 1}');
  });

  it("reads type and id from headers first, then from the value", () => {
    const headers = { ce_type: Buffer.from("PaymentSuccess"), ce_id: "h-id" };
    expect(eventTypeOf(headers, { type: "Other" })).toBe("PaymentSuccess");
    expect(eventIdOf(headers, { id: "v-id" })).toBe("h-id");
    expect(eventTypeOf({}, { type: "InventoryReserved" })).toBe("InventoryReserved");
    expect(eventIdOf(undefined, { id: "v-id" })).toBe("v-id");
    expect(eventTypeOf(undefined, "not an object")).toBeUndefined();
    expect(headerText({ x: [Buffer.from("one"), "two"] }, "x")).toBe("one");
  });
});
