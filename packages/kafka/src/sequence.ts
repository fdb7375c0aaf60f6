import type { IHeaders } from "kafkajs";
import { CE_HEADERS, headerText } from "./cloudevents.ts";

/**
 * The per-order sequence on `orders` records (CloudEvents `sequence` extension, header
 * `ce_sequence`; docs/relay.md "Per-order sequence"). The database numbers an order's events
 * 1, 2, 3 … (migration 0075) and stores the header text: 10 digits, zero-padded, so that string
 * order is numeric order, as the extension requires of its values.
 */
export const SEQUENCE_WIDTH = 10;
export const MAX_SEQUENCE = 9_999_999_999;

/** `n` as the header carries it ("0000000042"). Throws outside 1..MAX_SEQUENCE. */
export function formatSequence(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SEQUENCE) throw new RangeError(`sequence out of range: ${n}`);
  return String(n).padStart(SEQUENCE_WIDTH, "0");
}

/** The record's per-order sequence, or undefined when it has none (or not in the contract's form). */
export function sequenceOf(headers: IHeaders | undefined): number | undefined {
  const text = headerText(headers, CE_HEADERS.sequence);
  if (text === undefined || !/^[0-9]{10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

/**
 * What a consumer makes of a record's sequence given the last one it applied for that order:
 * `next` (= last + 1; the first record of an order is 1), `duplicate` (≤ last: a re-delivery or
 * a replay, already applied), or `gap` (> last + 1: `missing` events were not seen — from the
 * first missing one on, look them up or wait for a redelivery/replay).
 */
export type SequenceCheck = { kind: "next" } | { kind: "duplicate" } | { kind: "gap"; missing: number };

export function checkSequence(lastApplied: number, received: number): SequenceCheck {
  if (received <= lastApplied) return { kind: "duplicate" };
  if (received === lastApplied + 1) return { kind: "next" };
  return { kind: "gap", missing: received - lastApplied - 1 };
}
