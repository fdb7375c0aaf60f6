import { describe, expect, it } from "vitest";
import {
  DELIVERY_STATUSES,
  INVENTORY_STATUSES,
  ORDER_STATUSES,
  PAYMENT_STATUSES,
  reachableFrom,
  STATUS_TABLES,
  type StatusField,
  transition,
} from "../src/index.ts";

const VALUES: Record<StatusField, readonly string[]> = {
  status: ORDER_STATUSES,
  inventoryStatus: INVENTORY_STATUSES,
  paymentStatus: PAYMENT_STATUSES,
  deliveryStatus: DELIVERY_STATUSES,
};
const START: Record<StatusField, string> = {
  status: "PENDING",
  inventoryStatus: "PENDING",
  paymentStatus: "NOT_STARTED",
  deliveryStatus: "NOT_STARTED",
};

// The contract of DESIGN §3, written out independently of the table under test.
const LEGAL_ORDER_MOVES = new Set([
  "PENDING>CONFIRMED",
  "PENDING>CANCELLED",
  "CONFIRMED>SHIPPED",
  "CONFIRMED>CANCELLED",
  "SHIPPED>DELIVERED",
  // Issue 14 extends DESIGN §3: a cash-on-delivery parcel refused at the door cancels a shipped order.
  "SHIPPED>CANCELLED",
]);

describe("order status transition table", () => {
  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const legal = LEGAL_ORDER_MOVES.has(`${from}>${to}`);
      it(`${legal ? "allows" : "refuses"} ${from} → ${to}`, () => {
        const result = transition("status", from, to);
        expect(result.ok).toBe(legal);
        if (!result.ok) {
          const expected =
            from === to ? "ALREADY_IN_STATUS" : ["DELIVERED", "CANCELLED"].includes(from) ? "TERMINAL_STATUS" : "NOT_ALLOWED";
          expect(result.reason).toBe(expected);
        }
      });
    }
  }
});

describe.each(Object.keys(STATUS_TABLES) as StatusField[])("%s table", (field) => {
  const table = STATUS_TABLES[field] as Record<string, readonly string[]>;

  it("has exactly the statuses the database allows", () => {
    expect(Object.keys(table).sort()).toEqual([...VALUES[field]].sort());
  });

  it("reaches every status from the initial one", () => {
    expect([...reachableFrom(table, START[field])].sort()).toEqual([...VALUES[field]].sort());
  });

  it("keeps terminal statuses final: no way out of a status with no moves", () => {
    for (const [from, moves] of Object.entries(table)) {
      if (moves.length > 0) continue;
      for (const to of VALUES[field]) expect(transition(field, from, to).ok).toBe(false);
    }
  });

  it("never lists a move back to the initial status", () => {
    for (const moves of Object.values(table)) expect(moves).not.toContain(START[field]);
  });

  it("rejects values outside the table loudly", () => {
    expect(() => transition(field, "NOPE", START[field])).toThrow(/unknown/);
    expect(() => transition(field, START[field], "NOPE")).toThrow(/unknown/);
  });
});
