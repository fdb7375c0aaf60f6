import Big from "big.js";
import * as v from "valibot";
import { EXTERNAL_ID_PATTERN, UUID_PATTERN } from "../ids.ts";
import { isMoneyString, MONEY_MAX } from "../money.ts";

export const ExternalIdSchema = v.pipe(
  v.string(),
  v.regex(EXTERNAL_ID_PATTERN, "must be 1–64 characters of A–Z a–z 0–9 . _ : -"),
  v.metadata({ examples: ["123", "abc"] }),
);

/**
 * Text PostgreSQL can store: no NUL (text and jsonb refuse U+0000) and no unpaired UTF-16
 * surrogate (jsonb refuses its \u escape; a text column would silently get U+FFFD). The `u`
 * flag makes a proper surrogate pair one code point, so only unpaired halves match \p{Cs};
 * JSON Schema patterns use the same Unicode semantics.
 */
export const STORABLE_TEXT_PATTERN = /^[^\0\p{Cs}]*$/u;
export const STORABLE_TEXT_MESSAGE = "must not contain NUL or unpaired surrogate characters";
export const isStorableText = (s: string): boolean => STORABLE_TEXT_PATTERN.test(s);
/** A valibot action for any free-text field that ends up in PostgreSQL. */
export const storableText = () => v.regex(STORABLE_TEXT_PATTERN, STORABLE_TEXT_MESSAGE);
/** A string PostgreSQL can store (see STORABLE_TEXT_PATTERN). */
export const TextSchema = v.pipe(v.string(), storableText());

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
