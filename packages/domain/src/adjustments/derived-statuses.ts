import { compareMoney, type Money } from "../money.ts";
import { type LedgerEntry, type MoneySummary, summariseLedger } from "./ledger.ts";
import type { OrderLine } from "./lines.ts";
import type { AdjustmentState, ReturnRecord } from "./types.ts";

/** Money status, derived from the ledger only (never stored). */
export const MONEY_STATUSES = ["NOT_CAPTURED", "CAPTURED", "REFUND_PENDING", "PARTIALLY_REFUNDED", "REFUNDED"] as const;
export type MoneyStatus = (typeof MONEY_STATUSES)[number];

/** Line status of the whole order, derived from the line quantities only. */
export const FULFILMENT_STATUSES = [
  "OPEN",
  "PARTIALLY_CANCELLED",
  "CANCELLED",
  "SHIPPED",
  "DELIVERED",
  "RETURN_REQUESTED",
  "PARTIALLY_RETURNED",
  "RETURNED",
] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];

/** A return's status, from its lines and the ledger entries it caused. */
export const RETURN_STATUSES = ["REQUESTED", "PARTIALLY_RECEIVED", "REFUND_PENDING", "CLOSED"] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

const ZERO = "0.00" as Money;

export function moneyStatus(m: MoneySummary): MoneyStatus {
  if (compareMoney(m.captured, ZERO) === 0) return "NOT_CAPTURED";
  if (compareMoney(m.refundOutstanding, ZERO) > 0) return "REFUND_PENDING";
  if (compareMoney(m.refunded, ZERO) === 0) return "CAPTURED";
  return compareMoney(m.refunded, m.captured) === 0 ? "REFUNDED" : "PARTIALLY_REFUNDED";
}

export function fulfilmentStatus(lines: readonly OrderLine[]): FulfilmentStatus {
  const t = (f: (l: OrderLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  const ordered = t((l) => l.ordered);
  const cancelled = t((l) => l.cancelled);
  const delivered = t((l) => l.delivered);
  const requested = t((l) => l.returnRequested);
  const back = t((l) => l.received + l.damaged);
  if (cancelled === ordered) return "CANCELLED";
  if (requested > 0) {
    if (back === 0) return "RETURN_REQUESTED";
    return back === delivered ? "RETURNED" : "PARTIALLY_RETURNED";
  }
  if (delivered > 0) return "DELIVERED";
  if (t((l) => l.shipped) > 0) return "SHIPPED";
  return cancelled > 0 ? "PARTIALLY_CANCELLED" : "OPEN";
}

/** A return's status: what came back, and whether the refunds its receipts asked for settled. */
export function returnStatus(ret: ReturnRecord, ledger: readonly LedgerEntry[]): ReturnStatus {
  const requested = ret.lines.reduce((n, l) => n + l.requested, 0);
  const back = ret.lines.reduce((n, l) => n + l.received + l.damaged, 0);
  if (back === 0) return "REQUESTED";
  const asked = ledger.filter((e) => e.kind === "REFUND_REQUESTED" && ret.receipts.includes(e.cause));
  if (asked.some((r) => !ledger.some((e) => e.kind === "REFUND_SETTLED" && e.refundId === r.refundId))) return "REFUND_PENDING";
  return back < requested ? "PARTIALLY_RECEIVED" : "CLOSED";
}

export interface DerivedStatuses {
  readonly money: MoneySummary & { readonly status: MoneyStatus };
  readonly fulfilment: FulfilmentStatus;
}

/** Everything a reader shows about money and lines, computed from the ledger and line counters. */
export function deriveStatuses(state: Pick<AdjustmentState, "ledger" | "lines">): DerivedStatuses {
  const money = summariseLedger(state.ledger);
  return { money: { ...money, status: moneyStatus(money) }, fulfilment: fulfilmentStatus(state.lines) };
}
