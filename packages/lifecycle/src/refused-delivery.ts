import {
  type AdjustmentCommand,
  type AdjustmentEmit,
  type AdjustmentState,
  decideAdjustment,
  type FollowUp,
  type RefundPolicy,
  uuidv7,
} from "@orders/domain";

/*
 * A cash-on-delivery parcel refused at the door (issue 14): the lifecycle cancelled the order, and
 * its units come back through the returns flow — the parcel reached the door (delivered), all of
 * it is returned (a return with reason "delivery refused") and received in good condition, so
 * `ReturnReceived` asks the inventory service to restock it (once, by its restock id). Nothing was
 * charged, so nothing is refunded (a receipt refunds at most what was captured).
 */
export function returnRefusedParcel(
  adj: AdjustmentState,
  messageId: string,
  reason: string,
  policy: RefundPolicy,
  now: Date,
): { adj: AdjustmentState; emit: AdjustmentEmit[]; refunds: FollowUp[] } {
  const at = now.toISOString();
  const returnId = uuidv7();
  const inTransit = (s: AdjustmentState) =>
    s.lines.map((l) => ({ productId: l.productId, quantity: l.ordered - l.cancelled })).filter((l) => l.quantity > 0);
  const steps: ((s: AdjustmentState) => AdjustmentCommand)[] = [
    () => ({ type: "LinesDelivered", id: `${messageId}:refused:delivered`, at }),
    (s) => ({
      type: "RequestReturn",
      id: `${messageId}:refused:return`,
      returnId,
      lines: inTransit(s),
      reason: `delivery refused: ${reason}`,
      at,
      uncharged: true,
    }),
    (s) => ({
      type: "RecordReceipt",
      id: `${messageId}:refused:receipt`,
      returnId,
      lines: inTransit(s).map((l) => ({ productId: l.productId, received: l.quantity, damaged: 0 })),
    }),
  ];
  let state = adj;
  const emit: AdjustmentEmit[] = [];
  const refunds: FollowUp[] = [];
  for (const step of steps) {
    // The return rules speak of a delivered order; the lifecycle status (CANCELLED) is put back after.
    const d = decideAdjustment({ ...state, status: "DELIVERED" }, step(state), policy);
    if (d.kind !== "apply") throw new Error(`refused parcel: ${d.reason} (${d.note})`);
    state = { ...d.next, status: adj.status };
    emit.push(...d.emit.filter((x) => x.type === "ReturnRequested" || x.type === "ReturnReceived" || x.type === "RefundRequested"));
    for (const f of d.followUps)
      if (f.type === "RefundAmount") refunds.push({ type: "RefundPayment", refundId: f.refundId, amount: f.amount });
  }
  return { adj: state, emit, refunds };
}
