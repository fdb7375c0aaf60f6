import { describe, expect, it } from "vitest";
import { type InventoryLedger, moneyViolations } from "../src/index.ts";

/* The issue-13 checks of the money checker: amounts against the ledger, restocked stock. */

const order = (id: string, status: string) =>
  ({ id, status, inventory_status: "RESERVED", payment_status: "SUCCEEDED", delivery_status: "DELIVERED" }) as never;

describe("moneyViolations with the money ledger", () => {
  it("accepts a partly refunded delivered order whose amounts agree, and names a mismatch, an unsettled refund and lost stock", () => {
    const orders = [order("a", "DELIVERED"), order("b", "DELIVERED")];
    const payments = [
      { orderId: "a", captured: true, refunded: false, capturedAmount: "112.48", refundedAmount: "49.99" },
      { orderId: "b", captured: true, refunded: false, capturedAmount: "112.48", refundedAmount: "12.50" },
    ];
    const inventory: InventoryLedger = {
      orders: [
        { orderId: "a", hold: "reserved", lines: [{ productId: "abc", quantity: 2 }], restocked: [{ productId: "abc", quantity: 1 }] },
        { orderId: "b", hold: "reserved", lines: [{ productId: "abc", quantity: 2 }] },
      ],
      products: [{ productId: "abc", initial: 100, stock: 97 }],
    };
    const ledger = [
      { orderId: "a", captured: "112.48", refunded: "49.99", refundRequested: "49.99" },
      { orderId: "b", captured: "112.48", refunded: "0.00", refundRequested: "12.50" },
    ];
    expect(moneyViolations(orders, payments, inventory, ledger).map((v) => `${v.orderId}:${v.kind}`)).toEqual([
      "b:money-mismatch",
      "b:refund-outstanding",
    ]);
    const lost: InventoryLedger = { ...inventory, products: [{ productId: "abc", initial: 100, stock: 96 }] };
    expect(
      moneyViolations([orders[0] as never], [payments[0] as never], { ...lost, orders: [inventory.orders[0] as never] }, [
        ledger[0] as never,
      ]).map((v) => v.kind),
    ).toEqual(["stock-not-conserved"]);
  });

  it("accepts a refused cash-on-delivery parcel restocked through a return, and names one whose units never came back", () => {
    const refused = {
      id: "c",
      status: "CANCELLED",
      inventory_status: "RELEASED",
      payment_status: "NOT_STARTED",
      delivery_status: "SHIPPED",
    } as never;
    const back: InventoryLedger = {
      orders: [
        { orderId: "c", hold: "reserved", lines: [{ productId: "abc", quantity: 2 }], restocked: [{ productId: "abc", quantity: 2 }] },
      ],
      products: [{ productId: "abc", initial: 100, stock: 100 }],
    };
    expect(moneyViolations([refused], [], back, [{ orderId: "c", captured: "0.00", refunded: "0.00", refundRequested: "0.00" }])).toEqual(
      [],
    );
    const notBack: InventoryLedger = {
      orders: [{ orderId: "c", hold: "reserved", lines: [{ productId: "abc", quantity: 2 }] }],
      products: [{ productId: "abc", initial: 100, stock: 98 }],
    };
    expect(moneyViolations([refused], [], notBack).map((v) => v.kind)).toEqual(["stock-held", "stock-not-conserved"]);
  });
});
