import type { OrderStatus } from "../lifecycle/statuses.ts";
import type { Money } from "../money.ts";
import type { LedgerEntry } from "./ledger.ts";
import type { OrderLine } from "./lines.ts";

/* The shapes of the adjustment rules (issue 13): state, commands, events, decisions. */

export interface ReturnLine {
  readonly productId: string;
  readonly requested: number;
  readonly received: number;
  readonly damaged: number;
}

export interface ReturnRecord {
  readonly id: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly lines: readonly ReturnLine[];
  /** Ids of the receipts recorded against it (their refunds are `refund:<receipt id>`). */
  readonly receipts: readonly string[];
}

/**
 * What the adjustment rules decide on: the order's lines, its money ledger and its returns, plus
 * the lifecycle status the order-level `decide()` owns (mirrored here: a full cancel, shipment and
 * delivery move it exactly as `decide()` does; the writer stores `decide()`'s result).
 * `causes` are the ids of the commands already applied, so the same input twice changes nothing.
 */
export interface AdjustmentState {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly deliveredAt: string | null;
  readonly lines: readonly OrderLine[];
  readonly ledger: readonly LedgerEntry[];
  readonly returns: readonly ReturnRecord[];
  readonly causes: readonly string[];
}

export interface LineQuantity {
  readonly productId: string;
  readonly quantity: number;
}

export interface ReceiptLine {
  readonly productId: string;
  readonly received: number;
  readonly damaged: number;
}

/** Inputs of the adjustment rules. `id` is the cause: a request id, a message id, a job's finding. */
export type AdjustmentCommand =
  | { readonly type: "CancelLines"; readonly id: string; readonly lines: readonly LineQuantity[]; readonly reason: string }
  | {
      readonly type: "RequestReturn";
      /** Nothing was charged and nothing will be (a refused cash-on-delivery parcel, issue 14). */
      readonly uncharged?: true;
      readonly id: string;
      readonly returnId: string;
      readonly lines: readonly LineQuantity[];
      readonly reason: string;
      readonly at: string;
    }
  | { readonly type: "RecordReceipt"; readonly id: string; readonly returnId: string; readonly lines: readonly ReceiptLine[] }
  | { readonly type: "RefundSettled"; readonly id: string; readonly refundId: string; readonly amount: Money }
  | { readonly type: "StockRestocked"; readonly id: string; readonly restockId: string; readonly lines: readonly LineQuantity[] }
  /** `secondOf`: this attempt captured after another one had (issue 14) — recorded and refunded whole. */
  | { readonly type: "CaptureRecorded"; readonly id: string; readonly amount: Money; readonly secondOf?: { readonly attempt: number } }
  | { readonly type: "LinesShipped"; readonly id: string }
  | { readonly type: "LinesDelivered"; readonly id: string; readonly at: string };

/** How an adjustment command travels to the one writer (beside the lifecycle's events). */
export interface AdjustEvent {
  readonly type: "Adjust";
  readonly command: AdjustmentCommand;
}

/** Events this produces on `orders` (schemas in schemas/adjustment-events.ts). */
export type AdjustmentEmit =
  | { readonly type: "OrderLinesCancelled"; readonly lines: readonly LineQuantity[]; readonly amount: Money; readonly reason: string }
  | { readonly type: "ReturnRequested"; readonly returnId: string; readonly lines: readonly LineQuantity[]; readonly reason: string }
  | {
      readonly type: "ReturnReceived";
      readonly returnId: string;
      readonly lines: readonly ReceiptLine[];
      readonly restock: readonly LineQuantity[];
      readonly restockId: string | null;
    }
  | { readonly type: "RefundRequested"; readonly refundId: string; readonly amount: Money; readonly reason: string }
  | { readonly type: "RefundSettled"; readonly refundId: string; readonly amount: Money };

/** Work to start in the same transaction. */
export type AdjustmentFollowUp =
  | { readonly type: "RefundAmount"; readonly refundId: string; readonly amount: Money }
  | { readonly type: "ReleaseStock"; readonly lines: readonly LineQuantity[] }
  | { readonly type: "Restock"; readonly restockId: string; readonly lines: readonly LineQuantity[] };

export type AdjustmentRefusal =
  | "ALREADY_APPLIED"
  | "NOT_CANCELLABLE"
  | "NOT_CONFIRMED"
  | "NOT_RETURNABLE"
  | "RETURN_WINDOW_CLOSED"
  | "UNKNOWN_LINE"
  | "INVALID_QUANTITY"
  | "UNKNOWN_RETURN"
  | "UNKNOWN_REFUND"
  | "AMOUNT_MISMATCH"
  | "OVER_RESTOCK";

export type AdjustmentDecision =
  | {
      readonly kind: "apply";
      readonly next: AdjustmentState;
      /** Ledger entries appended by this decision (also inside `next.ledger`). */
      readonly entries: readonly LedgerEntry[];
      readonly emit: readonly AdjustmentEmit[];
      readonly followUps: readonly AdjustmentFollowUp[];
      readonly note: string;
      /** Every unit is now cancelled: the order itself is cancelled (the caller's lifecycle step). */
      readonly orderFullyCancelled: boolean;
    }
  | { readonly kind: "skip"; readonly reason: AdjustmentRefusal; readonly note: string };
