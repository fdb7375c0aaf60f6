import { addMoney, compareMoney, type Money, subtractMoney } from "../money.ts";

/** Kinds of money ledger entries; mirrored by the CHECK constraint in migrations/0080_returns_ledger.sql. */
export const LEDGER_KINDS = ["CAPTURE", "REFUND_REQUESTED", "REFUND_SETTLED"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/**
 * One fact about an order's money. Entries are only ever appended; every amount the API shows
 * (captured, refunded, still owed) is a sum over them. `cause` is the message or request id that
 * wrote it; `refundId` ties a settlement to its request (and is the payment service's key).
 */
export interface LedgerEntry {
  readonly kind: LedgerKind;
  readonly amount: Money;
  readonly reason: string;
  readonly cause: string;
  readonly refundId: string | null;
}

export interface MoneySummary {
  readonly captured: Money;
  readonly refundRequested: Money;
  readonly refunded: Money;
  /** Requested but not yet settled: what the service still owes the customer. */
  readonly refundOutstanding: Money;
  /** Captured minus everything requested back: what the customer finally pays. */
  readonly netPaid: Money;
}

const sum = (entries: readonly LedgerEntry[], kind: LedgerKind): Money =>
  addMoney(...entries.filter((e) => e.kind === kind).map((e) => e.amount));

export function summariseLedger(ledger: readonly LedgerEntry[]): MoneySummary {
  const captured = sum(ledger, "CAPTURE");
  const refundRequested = sum(ledger, "REFUND_REQUESTED");
  const refunded = sum(ledger, "REFUND_SETTLED");
  return {
    captured,
    refundRequested,
    refunded,
    refundOutstanding: subtractMoney(refundRequested, refunded),
    netPaid: subtractMoney(captured, refundRequested),
  };
}

/** What is left to refund: captured − requested (never negative: requests are capped by it). */
export const refundable = (ledger: readonly LedgerEntry[]): Money => {
  const m = summariseLedger(ledger);
  return compareMoney(m.refundRequested, m.captured) >= 0 ? ("0.00" as Money) : subtractMoney(m.captured, m.refundRequested);
};

export const hasCapture = (ledger: readonly LedgerEntry[]): boolean => ledger.some((e) => e.kind === "CAPTURE");

export const refundRequest = (ledger: readonly LedgerEntry[], refundId: string): LedgerEntry | undefined =>
  ledger.find((e) => e.kind === "REFUND_REQUESTED" && e.refundId === refundId);

export const refundSettled = (ledger: readonly LedgerEntry[], refundId: string): boolean =>
  ledger.some((e) => e.kind === "REFUND_SETTLED" && e.refundId === refundId);

/** Requested refunds not yet settled (reconciliation and the retrying refund job work these). */
export const outstandingRefunds = (ledger: readonly LedgerEntry[]): LedgerEntry[] =>
  ledger.filter((e) => e.kind === "REFUND_REQUESTED" && e.refundId !== null && !refundSettled(ledger, e.refundId));
