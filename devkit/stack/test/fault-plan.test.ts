import type { OrderAuditRow } from "@orders/db";
import { describe, expect, it } from "vitest";
import { FAULT_KINDS, type InventoryLedger, moneyViolations, planFaults } from "../src/index.ts";

const instances = { api: 2, relay: 2, consumer: 2 } as const;

describe("fault plan", () => {
  it("is the same for the same seed and differs for another", () => {
    const a = planFaults({ seed: 42, windowMs: 75_000, instances });
    expect(planFaults({ seed: 42, windowMs: 75_000, instances })).toEqual(a);
    expect(planFaults({ seed: 43, windowMs: 75_000, instances })).not.toEqual(a);
  });

  it("injects every fault class in every round, each app role killed and paused", () => {
    for (const seed of [1, 2, 3, 101, 202, 303]) {
      const plan = planFaults({ seed, windowMs: 600_000, instances, rounds: 4 });
      for (const kind of FAULT_KINDS) expect(plan.filter((f) => f.kind === kind).length).toBeGreaterThanOrEqual(4);
      for (const role of ["api", "relay", "consumer"]) {
        expect(plan.some((f) => f.kind === "kill" && f.target.startsWith(role))).toBe(true);
        expect(plan.some((f) => f.kind === "pause" && f.target.startsWith(role))).toBe(true);
      }
      // One consumer pause outlives pg-boss' 60 s job expiry.
      expect(plan.some((f) => f.kind === "pause" && f.target.startsWith("consumer") && f.durationMs > 60_000)).toBe(true);
    }
  });
});

const row = (id: string, status: string, payment: string, inventory: string): OrderAuditRow => ({
  id,
  status,
  inventory_status: inventory,
  payment_status: payment,
  delivery_status: status === "DELIVERED" ? "DELIVERED" : "NOT_STARTED",
  version: 1,
  created: 1,
  confirmed: 0,
  cancelled: 0,
  unpublished: 0,
  applied_rows: 1,
  dup_causes: 0,
  statuses: [status],
});

describe("money invariants", () => {
  const lines = [{ productId: "abc", quantity: 2 }];
  const inventory = (holds: InventoryLedger["orders"], stock: number): InventoryLedger => ({
    orders: holds,
    products: [{ productId: "abc", initial: 10, stock }],
  });

  it("names a capture kept by a cancelled order, a cancelled order left PENDING and a delivered order never paid", () => {
    const v = moneyViolations(
      [
        row("a", "CANCELLED", "FAILED", "RELEASED"),
        row("b", "CANCELLED", "PENDING", "RELEASED"),
        row("c", "DELIVERED", "SUCCEEDED", "RESERVED"),
      ],
      [{ orderId: "a", captured: true, refunded: false }],
      inventory(
        [
          { orderId: "a", hold: "released", lines },
          { orderId: "b", hold: "released", lines },
          { orderId: "c", hold: "reserved", lines },
        ],
        8,
      ),
    );
    expect(v.map((x) => `${x.orderId} ${x.kind}`).sort()).toEqual(["a money-lost", "b cancelled-payment-pending", "c delivered-unpaid"]);
  });

  it("accepts settled orders with stock conserved, and names stock still held for a cancelled order", () => {
    const orders = [row("a", "CANCELLED", "REFUNDED", "RELEASED"), row("c", "DELIVERED", "SUCCEEDED", "RESERVED")];
    const payments = [
      { orderId: "a", captured: true, refunded: true },
      { orderId: "c", captured: true, refunded: false },
    ];
    const ok = inventory(
      [
        { orderId: "a", hold: "released", lines },
        { orderId: "c", hold: "reserved", lines },
      ],
      8,
    );
    expect(moneyViolations(orders, payments, ok)).toEqual([]);
    const leaked = inventory(
      [
        { orderId: "a", hold: "reserved", lines },
        { orderId: "c", hold: "reserved", lines },
      ],
      6,
    );
    expect(
      moneyViolations(orders, payments, leaked)
        .map((x) => x.kind)
        .sort(),
    ).toEqual(["stock-held", "stock-not-conserved"]);
  });
});
