import { addMoney, compareMoney, type Money, minMoney, multiplyMoney } from "../money.ts";
import { secondCaptureCause, secondCaptureRefundId } from "../payments/attempts.ts";
import { hasCapture, type LedgerEntry, refundable, refundRequest, refundSettled } from "./ledger.ts";
import { type OrderLine, openUnits, returnableUnits } from "./lines.ts";
import type { RefundPolicy } from "./policy.ts";
import type {
  AdjustmentCommand,
  AdjustmentDecision,
  AdjustmentEmit,
  AdjustmentFollowUp,
  AdjustmentRefusal,
  AdjustmentState,
  LineQuantity,
  ReturnRecord,
} from "./types.ts";

const refuse = (reason: AdjustmentRefusal, note: string): AdjustmentDecision => ({ kind: "skip", reason, note });

/** The refund id of an order's whole remainder: the key the refund job has always used. */
export const wholeRefundId = (orderId: string): string => `refund:${orderId}`;
export const refundIdFor = (cause: string): string => `refund:${cause}`;
export const restockIdFor = (cause: string): string => `restock:${cause}`;

const isPositiveInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
const isNonNegativeInt = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Builds the command that cancels every unit still open (the whole-order cancel). */
export function cancelAllRemaining(state: AdjustmentState, id: string, reason: string): AdjustmentCommand {
  const lines = state.lines.filter((l) => openUnits(l) > 0).map((l) => ({ productId: l.productId, quantity: openUnits(l) }));
  return { type: "CancelLines", id, lines, reason };
}

/** Checks each requested line once, names the first bad one. */
function checkLines(
  state: AdjustmentState,
  lines: readonly LineQuantity[],
  available: (l: OrderLine) => number,
): { ok: true } | { ok: false; reason: AdjustmentRefusal; note: string } {
  if (lines.length === 0) return { ok: false, reason: "INVALID_QUANTITY", note: "no lines" };
  const seen = new Set<string>();
  for (const r of lines) {
    const line = state.lines.find((l) => l.productId === r.productId);
    if (!line) return { ok: false, reason: "UNKNOWN_LINE", note: `no line ${r.productId}` };
    if (seen.has(r.productId)) return { ok: false, reason: "INVALID_QUANTITY", note: `line ${r.productId} named twice` };
    seen.add(r.productId);
    if (!isPositiveInt(r.quantity) || r.quantity > available(line)) {
      return { ok: false, reason: "INVALID_QUANTITY", note: `line ${r.productId}: ${r.quantity} of ${available(line)} available` };
    }
  }
  return { ok: true };
}

const mapLines = (lines: readonly OrderLine[], change: (l: OrderLine) => OrderLine): OrderLine[] => lines.map(change);
const qtyOf = (lines: readonly { productId: string; quantity: number }[], productId: string): number =>
  lines.find((l) => l.productId === productId)?.quantity ?? 0;
const priced = (state: AdjustmentState, lines: readonly LineQuantity[]): Money =>
  addMoney(
    ...lines.map((r) => {
      const line = state.lines.find((l) => l.productId === r.productId);
      if (!line) throw new Error(`no line ${r.productId}`);
      return multiplyMoney(line.unitPrice, r.quantity);
    }),
  );

/**
 * The partial cancellation, return and refund rules (docs/lifecycle.md, "Returns and refunds").
 * Pure: the state as stored and one command in, the new state, ledger entries, events and jobs
 * out — or a refusal with a stable code. Refunds are capped by what was captured and not yet
 * requested back, so refunded ≤ captured holds whatever arrives.
 */
export function decideAdjustment(state: AdjustmentState, cmd: AdjustmentCommand, policy: RefundPolicy): AdjustmentDecision {
  // A restock's cause is its restock id: one restock counts once, whatever message carried it.
  const cause = cmd.type === "StockRestocked" ? cmd.restockId : cmd.id;
  if (state.causes.includes(cause)) return refuse("ALREADY_APPLIED", `${cmd.type} ${cause} already applied`);
  const causes = [...state.causes, cause];
  const applied = (
    next: Omit<AdjustmentState, "causes">,
    note: string,
    extra: Partial<Pick<Extract<AdjustmentDecision, { kind: "apply" }>, "entries" | "emit" | "followUps" | "orderFullyCancelled">> = {},
  ): AdjustmentDecision => ({
    kind: "apply",
    next: { ...next, causes },
    entries: extra.entries ?? [],
    emit: extra.emit ?? [],
    followUps: extra.followUps ?? [],
    note,
    orderFullyCancelled: extra.orderFullyCancelled ?? false,
  });

  switch (cmd.type) {
    case "CancelLines": {
      const remaining = state.lines.reduce((n, l) => n + openUnits(l), 0);
      const asked = cmd.lines.reduce((n, l) => n + l.quantity, 0);
      const all = asked === remaining && remaining > 0;
      if (state.lines.some((l) => l.shipped > 0)) return refuse("NOT_CANCELLABLE", "already shipped");
      if (state.status === "SHIPPED" || state.status === "DELIVERED")
        return refuse("NOT_CANCELLABLE", `cannot cancel an order in ${state.status}`);
      if (state.status === "CANCELLED" && !all) return refuse("NOT_CANCELLABLE", "cannot cancel an order in CANCELLED");
      // A PENDING order's charge may be in flight for the full total: only a cancel of every
      // remaining unit is allowed before confirmation (docs/decisions.md, issue 13).
      if (state.status === "PENDING" && !all) return refuse("NOT_CONFIRMED", "partial cancellation needs a confirmed order");
      const check = checkLines(state, cmd.lines, openUnits);
      if (!check.ok) return refuse(check.reason, check.note);
      const lines = mapLines(state.lines, (l) => ({ ...l, cancelled: l.cancelled + qtyOf(cmd.lines, l.productId) }));
      const value = priced(state, cmd.lines);
      const fully = lines.every((l) => l.cancelled === l.ordered);
      const entries: LedgerEntry[] = [];
      const emit: AdjustmentEmit[] = [{ type: "OrderLinesCancelled", lines: cmd.lines, amount: value, reason: cmd.reason }];
      const followUps: AdjustmentFollowUp[] = [{ type: "ReleaseStock", lines: cmd.lines }];
      if (hasCapture(state.ledger)) {
        // Whole remainder: the refund job's long-standing key; otherwise one refund per request.
        const refundId = fully ? wholeRefundId(state.orderId) : refundIdFor(cmd.id);
        const amount = fully ? refundable(state.ledger) : minMoney(value, refundable(state.ledger));
        if (compareMoney(amount, "0.00" as Money) > 0) {
          entries.push({ kind: "REFUND_REQUESTED", amount, reason: `cancelled: ${cmd.reason}`, cause: cmd.id, refundId });
          emit.push({ type: "RefundRequested", refundId, amount, reason: `cancelled: ${cmd.reason}` });
          followUps.push({ type: "RefundAmount", refundId, amount });
        }
      }
      return applied(
        { ...state, lines, ledger: [...state.ledger, ...entries], status: fully ? "CANCELLED" : state.status },
        `${fully ? "cancelled all remaining units" : "cancelled units"}: ${cmd.lines.map((l) => `${l.quantity}×${l.productId}`).join(", ")} (${cmd.reason})`,
        { entries, emit, followUps, orderFullyCancelled: fully },
      );
    }

    case "RequestReturn": {
      if (state.returns.some((r) => r.id === cmd.returnId)) return refuse("ALREADY_APPLIED", `return ${cmd.returnId} exists`);
      if (state.status !== "DELIVERED" || state.deliveredAt === null)
        return refuse("NOT_RETURNABLE", `cannot return an order in ${state.status}`);
      if (Date.parse(cmd.at) - Date.parse(state.deliveredAt) > policy.returnWindowMs) {
        return refuse("RETURN_WINDOW_CLOSED", `delivered ${state.deliveredAt}; the return window is ${policy.returnWindowMs} ms`);
      }
      const check = checkLines(state, cmd.lines, returnableUnits);
      if (!check.ok) return refuse(check.reason, check.note);
      // Cash on delivery (issue 14): the capture follows the delivery; a return before it is
      // recorded would refund nothing of money the customer did pay.
      if (!cmd.uncharged && !hasCapture(state.ledger) && compareMoney(priced(state, cmd.lines), "0.00" as Money) > 0)
        return refuse("NOT_RETURNABLE", "the payment is not captured yet (cash on delivery): try again shortly");
      const lines = mapLines(state.lines, (l) => ({ ...l, returnRequested: l.returnRequested + qtyOf(cmd.lines, l.productId) }));
      const record: ReturnRecord = {
        id: cmd.returnId,
        reason: cmd.reason,
        requestedAt: cmd.at,
        lines: cmd.lines.map((l) => ({ productId: l.productId, requested: l.quantity, received: 0, damaged: 0 })),
        receipts: [],
      };
      return applied({ ...state, lines, returns: [...state.returns, record] }, `return ${cmd.returnId} requested (${cmd.reason})`, {
        emit: [{ type: "ReturnRequested", returnId: cmd.returnId, lines: cmd.lines, reason: cmd.reason }],
      });
    }

    case "RecordReceipt": {
      const ret = state.returns.find((r) => r.id === cmd.returnId);
      if (!ret) return refuse("UNKNOWN_RETURN", `no return ${cmd.returnId}`);
      if (cmd.lines.length === 0) return refuse("INVALID_QUANTITY", "no lines");
      const seen = new Set<string>();
      for (const r of cmd.lines) {
        const rl = ret.lines.find((l) => l.productId === r.productId);
        if (!rl) return refuse("UNKNOWN_LINE", `return ${ret.id} has no line ${r.productId}`);
        if (seen.has(r.productId)) return refuse("INVALID_QUANTITY", `line ${r.productId} named twice`);
        seen.add(r.productId);
        const left = rl.requested - rl.received - rl.damaged;
        if (
          !isNonNegativeInt(r.received) ||
          !isNonNegativeInt(r.damaged) ||
          r.received + r.damaged === 0 ||
          r.received + r.damaged > left
        ) {
          return refuse("INVALID_QUANTITY", `line ${r.productId}: ${r.received}+${r.damaged} of ${left} awaited`);
        }
      }
      const get = (productId: string) => cmd.lines.find((l) => l.productId === productId);
      const lines = mapLines(state.lines, (l) => ({
        ...l,
        received: l.received + (get(l.productId)?.received ?? 0),
        damaged: l.damaged + (get(l.productId)?.damaged ?? 0),
      }));
      const returns = state.returns.map((r) =>
        r.id !== ret.id
          ? r
          : {
              ...r,
              receipts: [...r.receipts, cmd.id],
              lines: r.lines.map((l) => ({
                ...l,
                received: l.received + (get(l.productId)?.received ?? 0),
                damaged: l.damaged + (get(l.productId)?.damaged ?? 0),
              })),
            },
      );
      const good = cmd.lines.filter((l) => l.received > 0).map((l) => ({ productId: l.productId, quantity: l.received }));
      const refundUnits = cmd.lines
        .map((l) => ({ productId: l.productId, quantity: l.received + (policy.refundDamaged ? l.damaged : 0) }))
        .filter((l) => l.quantity > 0);
      const entries: LedgerEntry[] = [];
      const restockId = good.length > 0 ? restockIdFor(cmd.id) : null;
      const emit: AdjustmentEmit[] = [{ type: "ReturnReceived", returnId: ret.id, lines: cmd.lines, restock: good, restockId }];
      const followUps: AdjustmentFollowUp[] = [];
      if (restockId !== null) followUps.push({ type: "Restock", restockId, lines: good });
      const amount = refundUnits.length > 0 ? minMoney(priced(state, refundUnits), refundable(state.ledger)) : ("0.00" as Money);
      if (compareMoney(amount, "0.00" as Money) > 0) {
        const refundId = refundIdFor(cmd.id);
        const reason = `return ${ret.id}`;
        entries.push({ kind: "REFUND_REQUESTED", amount, reason, cause: cmd.id, refundId });
        emit.push({ type: "RefundRequested", refundId, amount, reason });
        followUps.push({ type: "RefundAmount", refundId, amount });
      }
      return applied(
        { ...state, lines, returns, ledger: [...state.ledger, ...entries] },
        `return ${ret.id} received: ${cmd.lines.map((l) => `${l.productId} ${l.received} good, ${l.damaged} damaged`).join("; ")}`,
        { entries, emit, followUps },
      );
    }

    case "RefundSettled": {
      if (refundSettled(state.ledger, cmd.refundId)) return refuse("ALREADY_APPLIED", `refund ${cmd.refundId} already settled`);
      const request = refundRequest(state.ledger, cmd.refundId);
      if (!request) return refuse("UNKNOWN_REFUND", `no refund ${cmd.refundId} requested`);
      if (compareMoney(request.amount, cmd.amount) !== 0) {
        return refuse("AMOUNT_MISMATCH", `refund ${cmd.refundId}: requested ${request.amount}, settled ${cmd.amount}`);
      }
      const entry: LedgerEntry = {
        kind: "REFUND_SETTLED",
        amount: cmd.amount,
        reason: request.reason,
        cause: cmd.id,
        refundId: cmd.refundId,
      };
      return applied({ ...state, ledger: [...state.ledger, entry] }, `refund ${cmd.refundId} of ${cmd.amount} settled`, {
        entries: [entry],
        emit: [{ type: "RefundSettled", refundId: cmd.refundId, amount: cmd.amount }],
      });
    }

    case "StockRestocked": {
      const check = checkLines(state, cmd.lines, (l) => l.received - l.restocked);
      if (!check.ok) return refuse(check.reason === "INVALID_QUANTITY" ? "OVER_RESTOCK" : check.reason, check.note);
      const lines = mapLines(state.lines, (l) => ({ ...l, restocked: l.restocked + qtyOf(cmd.lines, l.productId) }));
      return applied({ ...state, lines }, `restocked ${cmd.lines.map((l) => `${l.quantity}×${l.productId}`).join(", ")}`);
    }

    case "CaptureRecorded": {
      if (cmd.secondOf !== undefined) {
        // At most one capture per order: a second one is recorded (the money was taken) and
        // requested back whole under its own refund id, whatever the order's state.
        const cause = secondCaptureCause(cmd.secondOf.attempt);
        if (state.ledger.some((e) => e.kind === "CAPTURE" && e.cause === cause))
          return refuse("ALREADY_APPLIED", "second capture already recorded");
        const refundId = secondCaptureRefundId(state.orderId, cmd.secondOf.attempt);
        const reason = `second capture (attempt ${cmd.secondOf.attempt})`;
        const entries: LedgerEntry[] = [
          { kind: "CAPTURE", amount: cmd.amount, reason, cause, refundId: null },
          { kind: "REFUND_REQUESTED", amount: cmd.amount, reason, cause, refundId },
        ];
        return applied({ ...state, ledger: [...state.ledger, ...entries] }, `${reason} of ${cmd.amount} recorded; refund requested`, {
          entries,
          emit: [{ type: "RefundRequested", refundId, amount: cmd.amount, reason }],
          followUps: [{ type: "RefundAmount", refundId, amount: cmd.amount }],
        });
      }
      if (hasCapture(state.ledger)) return refuse("ALREADY_APPLIED", "capture already recorded");
      const capture: LedgerEntry = { kind: "CAPTURE", amount: cmd.amount, reason: "payment captured", cause: cmd.id, refundId: null };
      const entries: LedgerEntry[] = [capture];
      const emit: AdjustmentEmit[] = [];
      const followUps: AdjustmentFollowUp[] = [];
      if (state.status === "CANCELLED") {
        // A capture on a cancelled order (late success): all of it goes back under the whole key.
        const refundId = wholeRefundId(state.orderId);
        entries.push({ kind: "REFUND_REQUESTED", amount: cmd.amount, reason: "captured after cancellation", cause: cmd.id, refundId });
        emit.push({ type: "RefundRequested", refundId, amount: cmd.amount, reason: "captured after cancellation" });
        followUps.push({ type: "RefundAmount", refundId, amount: cmd.amount });
      }
      return applied({ ...state, ledger: [...state.ledger, ...entries] }, `capture of ${cmd.amount} recorded`, {
        entries,
        emit,
        followUps,
      });
    }

    case "LinesShipped": {
      if (state.lines.some((l) => l.shipped > 0)) return refuse("ALREADY_APPLIED", "lines already shipped");
      const lines = mapLines(state.lines, (l) => ({ ...l, shipped: l.ordered - l.cancelled }));
      return applied({ ...state, lines, status: "SHIPPED" }, "remaining units shipped");
    }

    case "LinesDelivered": {
      if (state.deliveredAt !== null) return refuse("ALREADY_APPLIED", "lines already delivered");
      const lines = mapLines(state.lines, (l) => ({ ...l, shipped: l.ordered - l.cancelled, delivered: l.ordered - l.cancelled }));
      return applied({ ...state, lines, deliveredAt: cmd.at, status: "DELIVERED" }, "remaining units delivered");
    }
  }
}
