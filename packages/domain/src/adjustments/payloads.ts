import type { AdjustmentEmit } from "./types.ts";

/** The outbox payload of an adjustment event (schemas/adjustment-events.ts). */
export function adjustmentPayload(
  o: { readonly id: string; readonly userId: string; readonly currency: string },
  emit: AdjustmentEmit,
  at: Date,
): Record<string, unknown> {
  const base = { orderId: o.id, userId: o.userId };
  const time = at.toISOString();
  switch (emit.type) {
    case "OrderLinesCancelled":
      return { ...base, lines: emit.lines, amount: emit.amount, currency: o.currency, reason: emit.reason, cancelledAt: time };
    case "ReturnRequested":
      return { ...base, returnId: emit.returnId, lines: emit.lines, reason: emit.reason, requestedAt: time };
    case "ReturnReceived":
      return { ...base, returnId: emit.returnId, lines: emit.lines, restock: emit.restock, restockId: emit.restockId, receivedAt: time };
    case "RefundRequested":
      return { ...base, refundId: emit.refundId, amount: emit.amount, currency: o.currency, reason: emit.reason, requestedAt: time };
    case "RefundSettled":
      return { ...base, refundId: emit.refundId, amount: emit.amount, currency: o.currency, settledAt: time };
  }
}
