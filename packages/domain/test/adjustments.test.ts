import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  type AdjustmentCommand,
  type AdjustmentDecision,
  type AdjustmentState,
  addMoney,
  adjustmentPayload,
  cancelAllRemaining,
  compareMoney,
  DEFAULT_REFUND_POLICY,
  decideAdjustment,
  deriveStatuses,
  lineBuckets,
  lineIsConsistent,
  type Money,
  multiplyMoney,
  newLine,
  PAYMENT_SERVICE_UNREACHABLE,
  PRODUCED_EVENT_SCHEMAS,
  parseMoney,
  type RefundPolicy,
  reconcileRefund,
  returnStatus,
} from "../src/index.ts";

const DAY = 24 * 60 * 60 * 1000;
const policy: RefundPolicy = { ...DEFAULT_REFUND_POLICY, returnWindowMs: 14 * DAY };
const m = (s: string): Money => parseMoney(s);
const T0 = "2026-01-01T00:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

const base = (status: AdjustmentState["status"] = "CONFIRMED"): AdjustmentState => ({
  orderId: "o1",
  status,
  deliveredAt: null,
  lines: [newLine("a", m("10.00"), 3), newLine("b", m("2.50"), 2)],
  ledger: [],
  returns: [],
  causes: [],
});

function run(state: AdjustmentState, ...cmds: AdjustmentCommand[]): { state: AdjustmentState; decisions: AdjustmentDecision[] } {
  const decisions: AdjustmentDecision[] = [];
  let s = state;
  for (const c of cmds) {
    const d = decideAdjustment(s, c, policy);
    decisions.push(d);
    if (d.kind === "apply") s = d.next;
  }
  return { state: s, decisions };
}

const captured = (s: AdjustmentState) => run(s, { type: "CaptureRecorded", id: "pay:o1:success", amount: m("35.00") }).state;
const delivered = () => run(captured(base()), { type: "LinesDelivered", id: "dlv", at: T0 }).state;

describe("partial cancellation", () => {
  it("cancels units of a confirmed, paid order and refunds exactly their share", () => {
    const { decisions, state } = run(captured(base()), {
      type: "CancelLines",
      id: "c1",
      lines: [{ productId: "a", quantity: 2 }],
      reason: "changed mind",
    });
    expect(decisions[0]).toMatchObject({
      kind: "apply",
      orderFullyCancelled: false,
      followUps: [
        { type: "ReleaseStock", lines: [{ productId: "a", quantity: 2 }] },
        { type: "RefundAmount", refundId: "refund:c1", amount: "20.00" },
      ],
    });
    expect(deriveStatuses(state).money).toMatchObject({
      captured: "35.00",
      refundRequested: "20.00",
      refunded: "0.00",
      status: "REFUND_PENDING",
    });
    expect(deriveStatuses(state).fulfilment).toBe("PARTIALLY_CANCELLED");
    const settled = run(state, { type: "RefundSettled", id: "pay:r1", refundId: "refund:c1", amount: m("20.00") }).state;
    expect(deriveStatuses(settled).money.status).toBe("PARTIALLY_REFUNDED");
  });

  it("cancelling every remaining unit cancels the order and refunds the remainder under the whole-order key", () => {
    const s1 = run(captured(base()), { type: "CancelLines", id: "c1", lines: [{ productId: "b", quantity: 1 }], reason: "x" }).state;
    const d = decideAdjustment(s1, cancelAllRemaining(s1, "c2", "user"), policy);
    expect(d).toMatchObject({
      kind: "apply",
      orderFullyCancelled: true,
      entries: [{ kind: "REFUND_REQUESTED", amount: "32.50", refundId: "refund:o1" }],
    });
    if (d.kind === "apply") expect(d.next.status).toBe("CANCELLED");
  });

  it("refuses a partial cancel of a PENDING order, too many units, an unknown line, and anything after shipment", () => {
    expect(
      decideAdjustment(base("PENDING"), { type: "CancelLines", id: "c", lines: [{ productId: "a", quantity: 1 }], reason: "x" }, policy),
    ).toMatchObject({ reason: "NOT_CONFIRMED" });
    expect(decideAdjustment(base("PENDING"), cancelAllRemaining(base("PENDING"), "c", "user"), policy)).toMatchObject({
      kind: "apply",
      orderFullyCancelled: true,
      entries: [],
    });
    expect(
      decideAdjustment(base(), { type: "CancelLines", id: "c", lines: [{ productId: "a", quantity: 4 }], reason: "x" }, policy),
    ).toMatchObject({ reason: "INVALID_QUANTITY" });
    expect(
      decideAdjustment(base(), { type: "CancelLines", id: "c", lines: [{ productId: "z", quantity: 1 }], reason: "x" }, policy),
    ).toMatchObject({ reason: "UNKNOWN_LINE" });
    const shipped = run(base(), { type: "LinesShipped", id: "s" }).state;
    expect(
      decideAdjustment(shipped, { type: "CancelLines", id: "c", lines: [{ productId: "a", quantity: 1 }], reason: "x" }, policy),
    ).toMatchObject({ reason: "NOT_CANCELLABLE" });
  });
});

describe("returns", () => {
  it("a full return: received units are restocked and refunded; the return closes when the refund settles", () => {
    const { state, decisions } = run(
      delivered(),
      {
        type: "RequestReturn",
        id: "req",
        returnId: "r1",
        lines: [
          { productId: "a", quantity: 3 },
          { productId: "b", quantity: 2 },
        ],
        reason: "wrong size",
        at: at(DAY),
      },
      {
        type: "RecordReceipt",
        id: "rc1",
        returnId: "r1",
        lines: [
          { productId: "a", received: 3, damaged: 0 },
          { productId: "b", received: 2, damaged: 0 },
        ],
      },
    );
    expect(decisions[1]).toMatchObject({
      kind: "apply",
      followUps: [
        {
          type: "Restock",
          restockId: "restock:rc1",
          lines: [
            { productId: "a", quantity: 3 },
            { productId: "b", quantity: 2 },
          ],
        },
        { type: "RefundAmount", refundId: "refund:rc1", amount: "35.00" },
      ],
    });
    const ret = state.returns[0];
    if (!ret) throw new Error("no return");
    expect(returnStatus(ret, state.ledger)).toBe("REFUND_PENDING");
    const done = run(state, { type: "RefundSettled", id: "p", refundId: "refund:rc1", amount: m("35.00") }).state;
    expect(returnStatus(done.returns[0] as typeof ret, done.ledger)).toBe("CLOSED");
    expect(deriveStatuses(done)).toMatchObject({ fulfilment: "RETURNED", money: { status: "REFUNDED" } });
  });

  it("damaged units are not restocked and refunded only when the policy says so", () => {
    const req: AdjustmentCommand = {
      type: "RequestReturn",
      id: "q",
      returnId: "r1",
      lines: [{ productId: "a", quantity: 2 }],
      reason: "broken",
      at: at(DAY),
    };
    const receipt: AdjustmentCommand = {
      type: "RecordReceipt",
      id: "rc",
      returnId: "r1",
      lines: [{ productId: "a", received: 1, damaged: 1 }],
    };
    const strict = run(delivered(), req, receipt).decisions[1];
    expect(strict).toMatchObject({
      followUps: [
        { type: "Restock", lines: [{ productId: "a", quantity: 1 }] },
        { type: "RefundAmount", amount: "10.00" },
      ],
    });
    const lenient = decideAdjustment(run(delivered(), req).state, receipt, { ...policy, refundDamaged: true });
    expect(lenient).toMatchObject({ followUps: [{ type: "Restock" }, { type: "RefundAmount", amount: "20.00" }] });
  });

  it("refuses returns before delivery, after the window, over the delivered quantity; receipts over what is awaited", () => {
    expect(
      decideAdjustment(
        captured(base()),
        { type: "RequestReturn", id: "q", returnId: "r", lines: [{ productId: "a", quantity: 1 }], reason: "x", at: T0 },
        policy,
      ),
    ).toMatchObject({ reason: "NOT_RETURNABLE" });
    expect(
      decideAdjustment(
        delivered(),
        { type: "RequestReturn", id: "q", returnId: "r", lines: [{ productId: "a", quantity: 1 }], reason: "x", at: at(15 * DAY) },
        policy,
      ),
    ).toMatchObject({ reason: "RETURN_WINDOW_CLOSED" });
    expect(
      decideAdjustment(
        delivered(),
        { type: "RequestReturn", id: "q", returnId: "r", lines: [{ productId: "b", quantity: 3 }], reason: "x", at: T0 },
        policy,
      ),
    ).toMatchObject({ reason: "INVALID_QUANTITY" });
    const s = run(delivered(), {
      type: "RequestReturn",
      id: "q",
      returnId: "r",
      lines: [{ productId: "b", quantity: 1 }],
      reason: "x",
      at: T0,
    }).state;
    expect(
      decideAdjustment(s, { type: "RecordReceipt", id: "rc", returnId: "r", lines: [{ productId: "b", received: 1, damaged: 1 }] }, policy),
    ).toMatchObject({ reason: "INVALID_QUANTITY" });
    expect(
      decideAdjustment(
        s,
        { type: "RecordReceipt", id: "rc", returnId: "nope", lines: [{ productId: "b", received: 1, damaged: 0 }] },
        policy,
      ),
    ).toMatchObject({ reason: "UNKNOWN_RETURN" });
  });
});

describe("results from the payment and inventory services", () => {
  it("a settlement for an unknown refund, a different amount, or twice is skipped; a restock beyond what arrived is refused", () => {
    const s = run(captured(base()), { type: "CancelLines", id: "c1", lines: [{ productId: "a", quantity: 1 }], reason: "x" }).state;
    expect(decideAdjustment(s, { type: "RefundSettled", id: "p1", refundId: "refund:zz", amount: m("10.00") }, policy)).toMatchObject({
      reason: "UNKNOWN_REFUND",
    });
    expect(decideAdjustment(s, { type: "RefundSettled", id: "p1", refundId: "refund:c1", amount: m("9.00") }, policy)).toMatchObject({
      reason: "AMOUNT_MISMATCH",
    });
    const settled = run(s, { type: "RefundSettled", id: "p1", refundId: "refund:c1", amount: m("10.00") }).state;
    expect(decideAdjustment(settled, { type: "RefundSettled", id: "p2", refundId: "refund:c1", amount: m("10.00") }, policy)).toMatchObject(
      { reason: "ALREADY_APPLIED" },
    );
    expect(
      decideAdjustment(
        delivered(),
        { type: "StockRestocked", id: "i", restockId: "restock:x", lines: [{ productId: "a", quantity: 1 }] },
        policy,
      ),
    ).toMatchObject({ reason: "OVER_RESTOCK" });
  });

  it("a capture on an order cancelled before it was paid is refunded whole", () => {
    const cancelled = run(base("PENDING"), cancelAllRemaining(base("PENDING"), "c", "timeout")).state;
    const d = decideAdjustment(cancelled, { type: "CaptureRecorded", id: "pay", amount: m("35.00") }, policy);
    expect(d).toMatchObject({ kind: "apply", followUps: [{ type: "RefundAmount", refundId: "refund:o1", amount: "35.00" }] });
  });
});

// ---- properties -------------------------------------------------------------------------------

type Step =
  | { k: "capture" }
  | { k: "cancel"; picks: [number, number][] }
  | { k: "cancelAll" }
  | { k: "ship" }
  | { k: "deliver" }
  | { k: "return"; picks: [number, number][]; dayOffset: number }
  | { k: "receipt"; ret: number; picks: [number, number, number][] }
  | { k: "result"; pick: number; keep: boolean }
  | { k: "again" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ k: "capture" }),
  fc.record({
    k: fc.constant("cancel" as const),
    picks: fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 3 }),
  }),
  fc.constant<Step>({ k: "cancelAll" }),
  fc.constant<Step>({ k: "ship" }),
  fc.constant<Step>({ k: "deliver" }),
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("return" as const),
      picks: fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 2 })), { minLength: 1, maxLength: 2 }),
      dayOffset: fc.integer({ min: 0, max: 16 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("receipt" as const),
      ret: fc.nat(4),
      picks: fc.array(fc.tuple(fc.nat(3), fc.nat(2), fc.nat(1)), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant("result" as const), pick: fc.nat(20), keep: fc.boolean() }) },
  fc.constant<Step>({ k: "again" }),
);

/** Most runs reach delivery early, so returns and receipts get exercised, not only cancels. */
const prefixArb: fc.Arbitrary<Step[]> = fc.constantFrom<Step[]>(
  [],
  [{ k: "capture" }],
  [{ k: "capture" }, { k: "deliver" }],
  [{ k: "capture" }, { k: "deliver" }, { k: "return", picks: [[0, 1]], dayOffset: 1 }],
  [{ k: "capture" }, { k: "ship" }, { k: "deliver" }],
  [{ k: "capture" }, { k: "cancel", picks: [[0, 1]] }, { k: "deliver" }],
);

const orderArb = fc.array(fc.tuple(fc.constantFrom("0.01", "1.99", "10.00", "333.33"), fc.integer({ min: 1, max: 5 })), {
  minLength: 1,
  maxLength: 3,
});

const value = (s: AdjustmentState, f: (l: AdjustmentState["lines"][number]) => number): Money =>
  addMoney(...s.lines.map((l) => multiplyMoney(l.unitPrice, f(l))));

describe("properties over arbitrary partial cancels, returns, receipts, refunds, duplicated and reordered results", () => {
  it("keep every money and stock invariant", () => {
    fc.assert(
      fc.property(orderArb, prefixArb, fc.array(stepArb, { maxLength: 40 }), fc.boolean(), (lines, prefix, rest, refundDamaged) => {
        const steps = [...prefix, ...rest];
        const pol: RefundPolicy = { ...policy, refundDamaged };
        let s: AdjustmentState = { ...base("PENDING"), lines: lines.map(([p, q], i) => newLine(`p${i}`, m(p), q)) };
        const total = value(s, (l) => l.ordered);
        const pool: AdjustmentCommand[] = [];
        const emittedRequested: Money[] = [];
        const emittedSettled: Money[] = [];
        let last: AdjustmentCommand | null = null;
        let n = 0;
        const apply = (cmd: AdjustmentCommand) => {
          const d = decideAdjustment(s, cmd, pol);
          if (d.kind !== "apply") return;
          last = cmd;
          s = d.next;
          for (const e of d.emit) {
            if (e.type === "RefundRequested") emittedRequested.push(e.amount);
            if (e.type === "RefundSettled") emittedSettled.push(e.amount);
          }
          for (const f of d.followUps) {
            if (f.type === "RefundAmount")
              pool.push({ type: "RefundSettled", id: `pay:${f.refundId}`, refundId: f.refundId, amount: f.amount });
            if (f.type === "Restock")
              pool.push({ type: "StockRestocked", id: `inv:${f.restockId}`, restockId: f.restockId, lines: f.lines });
          }
        };
        const pickLines = (picks: [number, number][]) => {
          const seen = new Map<string, number>();
          for (const [i, q] of picks) {
            const line = s.lines[i % s.lines.length];
            if (line) seen.set(line.productId, q);
          }
          return [...seen].map(([productId, quantity]) => ({ productId, quantity }));
        };

        const check = () => {
          const money = deriveStatuses(s).money;
          // refunded ≤ requested ≤ captured
          expect(compareMoney(money.refunded, money.refundRequested)).toBeLessThanOrEqual(0);
          expect(compareMoney(money.refundRequested, money.captured)).toBeLessThanOrEqual(0);
          for (const l of s.lines) {
            // Σ line quantities by state = ordered; no unit restocked twice (restocked ≤ received)
            expect(lineIsConsistent(l)).toBe(true);
            expect(Object.values(lineBuckets(l)).reduce((a, b) => a + b, 0)).toBe(l.ordered);
            expect(l.restocked).toBeLessThanOrEqual(l.received);
          }
          // the ledger agrees with the line quantities: exactly the refundable units were asked back
          const expected = money.captured === "0.00" ? "0.00" : value(s, (l) => l.cancelled + l.received + (refundDamaged ? l.damaged : 0));
          expect(money.refundRequested).toBe(expected);
          // the events on `orders` say the same as the ledger
          expect(addMoney(...emittedRequested)).toBe(money.refundRequested);
          expect(addMoney(...emittedSettled)).toBe(money.refunded);
          // money invariant 1: captured on a fully cancelled order ⇒ all of it requested back
          if (s.status === "CANCELLED") expect(money.refundRequested).toBe(money.captured);
        };

        for (const step of steps) {
          n += 1;
          switch (step.k) {
            case "capture":
              if (s.status === "PENDING" || s.status === "CANCELLED") {
                apply({ type: "CaptureRecorded", id: "pay:success", amount: total });
                if (s.status === "PENDING") s = { ...s, status: "CONFIRMED" };
              }
              break;
            case "cancel":
              apply({ type: "CancelLines", id: `c${n}`, lines: pickLines(step.picks), reason: "user" });
              break;
            case "cancelAll":
              apply(cancelAllRemaining(s, `c${n}`, "user"));
              break;
            case "ship":
              if (s.status === "CONFIRMED") apply({ type: "LinesShipped", id: "ship" });
              break;
            case "deliver":
              if (s.status === "SHIPPED" || s.status === "CONFIRMED") apply({ type: "LinesDelivered", id: "dlv", at: T0 });
              break;
            case "return":
              apply({
                type: "RequestReturn",
                id: `q${n}`,
                returnId: `r${n}`,
                lines: pickLines(step.picks),
                reason: "r",
                at: at(step.dayOffset * DAY),
              });
              break;
            case "receipt": {
              const ret = s.returns[step.ret % Math.max(1, s.returns.length)];
              if (!ret) break;
              const seen = new Map<string, { received: number; damaged: number }>();
              for (const [i, g, dmg] of step.picks) {
                const l = ret.lines[i % ret.lines.length];
                // Mostly what is still awaited (clamped), sometimes more than that (refused).
                const left = l ? l.requested - l.received - l.damaged : 0;
                const over = g === 2 && dmg === 1;
                if (l)
                  seen.set(
                    l.productId,
                    over
                      ? { received: g, damaged: dmg }
                      : { received: Math.min(g, left), damaged: Math.min(dmg, left - Math.min(g, left)) },
                  );
              }
              apply({
                type: "RecordReceipt",
                id: `rc${n}`,
                returnId: ret.id,
                lines: [...seen].map(([productId, q]) => ({ productId, ...q })),
              });
              break;
            }
            case "result": {
              if (pool.length === 0) break;
              const i = step.pick % pool.length;
              const cmd = pool[i] as AdjustmentCommand;
              // Delivered late and out of order; kept in the pool = delivered again later (duplicate).
              if (!step.keep) pool.splice(i, 1);
              apply(cmd);
              break;
            }
            case "again": {
              // The same input twice changes nothing.
              if (!last) break;
              const before = s;
              const d = decideAdjustment(s, last, pol);
              expect(d.kind).toBe("skip");
              expect(s).toBe(before);
              break;
            }
          }
          check();
        }

        // The world settles: every result delivered (in pool order, duplicates included).
        for (const cmd of [...pool]) apply(cmd);
        check();
        const money = deriveStatuses(s).money;
        // refund requested ⇒ eventually settled, once
        expect(money.refunded).toBe(money.refundRequested);
        for (const l of s.lines) expect(l.restocked).toBe(l.received);
        for (const r of s.returns) {
          const st = returnStatus(r, s.ledger);
          expect(st).not.toBe("REFUND_PENDING");
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("reconcileRefund", () => {
  const request = { refundId: "refund:c1", amount: "10.00" };
  it("asks again for a refund the service never executed, records one it did, and waits while it is unreachable", () => {
    expect(reconcileRefund(request, [])).toEqual({ mismatch: "REFUND_OUTSTANDING", repair: { kind: "refund" } });
    expect(reconcileRefund(request, null)).toEqual({ mismatch: "REFUND_OUTSTANDING", repair: { kind: "refund" } });
    expect(reconcileRefund(request, [{ refundId: "refund:c1", amount: "10.00" }])).toEqual({
      mismatch: "REFUND_NOT_RECORDED",
      repair: { kind: "settle", amount: "10.00" },
    });
    expect(reconcileRefund(request, PAYMENT_SERVICE_UNREACHABLE)).toBeNull();
  });
});

describe("adjustment event payloads", () => {
  it("validate against the produced-event schemas", () => {
    const o = { id: "01900000-0000-7000-8000-000000000001", userId: "u-1", currency: "INR" };
    const s0 = { ...delivered(), orderId: o.id };
    const { decisions } = run(
      s0,
      {
        type: "RequestReturn",
        id: "q",
        returnId: "01900000-0000-7000-8000-000000000002",
        lines: [{ productId: "a", quantity: 1 }],
        reason: "r",
        at: T0,
      },
      {
        type: "RecordReceipt",
        id: "rc",
        returnId: "01900000-0000-7000-8000-000000000002",
        lines: [{ productId: "a", received: 1, damaged: 0 }],
      },
      { type: "RefundSettled", id: "p", refundId: "refund:rc", amount: m("10.00") },
    );
    const cancel = decideAdjustment(
      captured(base()),
      { type: "CancelLines", id: "c", lines: [{ productId: "b", quantity: 1 }], reason: "x" },
      policy,
    );
    const emits = [...decisions, cancel].flatMap((d) => (d.kind === "apply" ? d.emit : []));
    expect(new Set(emits.map((e) => e.type))).toEqual(
      new Set(["ReturnRequested", "ReturnReceived", "RefundRequested", "RefundSettled", "OrderLinesCancelled"]),
    );
    for (const e of emits) {
      const result = v.safeParse(PRODUCED_EVENT_SCHEMAS[e.type], adjustmentPayload(o, e, new Date()));
      expect(result.issues).toBeUndefined();
    }
  });
});
