import { describe, expect, it } from "vitest";
import type { PaymentClient } from "../src/jobs/payment-client.ts";
import { failFastLookups } from "../src/jobs/workers.ts";

describe("a reconciliation run stops waiting on a payment service that does not answer", () => {
  it("after three failed lookups in a row the rest of the run fails at once; a success resets the count; refunds always go out", async () => {
    let calls = 0;
    let refunds = 0;
    let answering = true;
    const service: PaymentClient = {
      charge: async () => ({ paymentId: "p" }),
      refund: async () => {
        refunds++;
        return { refundId: "r" };
      },
      lookup: async () => {
        calls++;
        if (!answering) throw new Error("timeout");
        return null;
      },
    };
    const run = failFastLookups(service);
    await run.lookup("a");
    answering = false;
    for (const id of ["b", "c"]) await expect(run.lookup(id)).rejects.toThrow("timeout");
    answering = true;
    await run.lookup("d"); // back: the count starts again
    answering = false;
    for (const id of ["e", "f", "g"]) await expect(run.lookup(id)).rejects.toThrow("timeout");
    const before = calls;
    for (const id of ["h", "i", "j", "k"]) await expect(run.lookup(id)).rejects.toThrow("not answering this run");
    expect(calls).toBe(before);
    await run.refund({ orderId: "h", amount: "1.00" } as Parameters<PaymentClient["refund"]>[0]);
    expect(refunds).toBe(1);
  });
});
