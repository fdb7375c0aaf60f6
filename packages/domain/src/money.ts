import Big from "big.js";
import { AppError } from "./errors.ts";

/**
 * Money is a decimal string with at most two fractional digits ("123.45"), exactly as on the
 * wire and in PostgreSQL NUMERIC(14,2). Arithmetic goes through big.js (arbitrary-precision
 * decimal), so no value ever passes through a JS float. See docs/architecture.md.
 */
export type Money = string & { readonly __brand: "Money" };

/** NUMERIC(14,2): twelve integer digits. */
export const MONEY_MAX = "999999999999.99";
const MONEY_PATTERN = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;

const Decimal = Big();
Decimal.DP = 2;
// Banker's rounding would surprise nobody in finance, but no operation here needs rounding:
// sums and integer multiples of 2-dp values are exact. Multiplication is checked below.
Decimal.RM = Big.roundHalfEven;
Decimal.strict = true;

export const isMoneyString = (value: string): boolean => MONEY_PATTERN.test(value);

/** Parses a non-negative decimal string of at most two fractional digits into Money. */
export function parseMoney(value: string): Money {
  if (!isMoneyString(value)) {
    throw new AppError("INVALID_MONEY", `not a money amount: ${JSON.stringify(value)}`);
  }
  return normalise(new Decimal(value));
}

function normalise(amount: Big): Money {
  if (amount.lt("0")) throw new AppError("INVALID_MONEY", `negative amount: ${amount.toFixed(2)}`);
  if (amount.gt(MONEY_MAX)) {
    throw new AppError("INVALID_MONEY", `amount exceeds ${MONEY_MAX}: ${amount.toFixed(2)}`);
  }
  return amount.toFixed(2) as Money;
}

export function addMoney(...amounts: readonly Money[]): Money {
  return normalise(amounts.reduce((sum, m) => sum.plus(new Decimal(m)), new Decimal("0")));
}

/** unit price × integer quantity, exact. */
export function multiplyMoney(amount: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity) || quantity < 0) {
    throw new AppError("INVALID_MONEY", `quantity must be a non-negative integer: ${quantity}`);
  }
  return normalise(new Decimal(amount).times(new Decimal(String(quantity))));
}

/** a − b, exact; refuses a negative result (money never goes below zero). */
export function subtractMoney(a: Money, b: Money): Money {
  return normalise(new Decimal(a).minus(new Decimal(b)));
}

export const minMoney = (a: Money, b: Money): Money => (compareMoney(a, b) <= 0 ? a : b);

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  return new Decimal(a).cmp(new Decimal(b)) as -1 | 0 | 1;
}

export interface PricedLine {
  readonly unitPrice: Money;
  readonly quantity: number;
}

export const lineTotal = (line: PricedLine): Money => multiplyMoney(line.unitPrice, line.quantity);

export const orderTotal = (lines: readonly PricedLine[]): Money => addMoney(...lines.map(lineTotal));
