import Big from "big.js";
import * as v from "valibot";
import { EXTERNAL_ID_PATTERN, UUID_PATTERN } from "../ids.ts";
import { isMoneyString, MONEY_MAX } from "../money.ts";

export const ExternalIdSchema = v.pipe(
  v.string(),
  v.regex(EXTERNAL_ID_PATTERN, "must be 1–64 characters of A–Z a–z 0–9 . _ : -"),
  v.metadata({ examples: ["123", "abc"] }),
);

export const UuidSchema = v.pipe(v.string(), v.regex(UUID_PATTERN, "must be a UUID"));

/** Decimal string, ≤ 2 fractional digits, within NUMERIC(14,2). Never a JSON number. */
export const MoneySchema = v.pipe(
  v.string(),
  v.check(isMoneyString, 'must be a decimal string with at most 2 fractional digits, e.g. "12.50"'),
  v.check((s) => new Big(s).lte(MONEY_MAX), `must not exceed ${MONEY_MAX}`),
  v.metadata({ examples: ["123.45"] }),
);

export const CurrencySchema = v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, "must be an ISO 4217 code"));

export const IsoTimestampSchema = v.pipe(v.string(), v.isoTimestamp());
