import { addMoney, type Money, multiplyMoney } from "../money.ts";

/**
 * One order line's unit counters (issue 13). Every unit of a line is in exactly one bucket
 * (`lineBuckets`), so the counters can never disagree about where a unit is. `received` and
 * `damaged` are both units that came back; only `received` (good) units are restocked.
 */
export interface OrderLine {
  readonly productId: string;
  readonly unitPrice: Money;
  readonly ordered: number;
  readonly cancelled: number;
  readonly shipped: number;
  readonly delivered: number;
  readonly returnRequested: number;
  /** Came back in good condition (restockable). */
  readonly received: number;
  /** Came back damaged (never restocked). */
  readonly damaged: number;
  /** Of `received`: confirmed back in stock by the inventory service. */
  readonly restocked: number;
}

export const newLine = (productId: string, unitPrice: Money, ordered: number): OrderLine => ({
  productId,
  unitPrice,
  ordered,
  cancelled: 0,
  shipped: 0,
  delivered: 0,
  returnRequested: 0,
  received: 0,
  damaged: 0,
  restocked: 0,
});

/** Where each unit of a line is; the buckets are disjoint and sum to `ordered`. */
export interface LineBuckets {
  readonly open: number;
  readonly cancelled: number;
  readonly inTransit: number;
  readonly kept: number;
  readonly returnAwaited: number;
  readonly awaitingRestock: number;
  readonly restocked: number;
  readonly damaged: number;
}

export function lineBuckets(l: OrderLine): LineBuckets {
  return {
    open: l.ordered - l.cancelled - l.shipped,
    cancelled: l.cancelled,
    inTransit: l.shipped - l.delivered,
    kept: l.delivered - l.returnRequested,
    returnAwaited: l.returnRequested - l.received - l.damaged,
    awaitingRestock: l.received - l.restocked,
    restocked: l.restocked,
    damaged: l.damaged,
  };
}

/** True when every bucket is a non-negative integer (then they sum to `ordered`). */
export function lineIsConsistent(l: OrderLine): boolean {
  const b = Object.values(lineBuckets(l));
  return b.every((n) => Number.isSafeInteger(n) && n >= 0) && b.reduce((s, n) => s + n, 0) === l.ordered;
}

/** Units still cancellable (not shipped, not cancelled). */
export const openUnits = (l: OrderLine): number => l.ordered - l.cancelled - l.shipped;
/** Delivered units not yet in a return. */
export const returnableUnits = (l: OrderLine): number => l.delivered - l.returnRequested;

export const linesValue = (lines: readonly { unitPrice: Money; quantity: number }[]): Money =>
  addMoney(...lines.map((l) => multiplyMoney(l.unitPrice, l.quantity)));
