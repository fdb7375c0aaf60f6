import { describe, expect, it } from "vitest";
import { checkSequence, formatSequence, MAX_SEQUENCE, sequenceOf } from "./sequence.ts";

describe("per-order sequence", () => {
  it("formats 1..MAX as 10 zero-padded digits whose string order is numeric order", () => {
    expect(formatSequence(1)).toBe("0000000001");
    expect(formatSequence(MAX_SEQUENCE)).toBe("9999999999");
    const values = [1, 2, 9, 10, 11, 99, 100, 123_456, 9_999_999_999];
    const texts = values.map(formatSequence);
    expect([...texts].sort()).toEqual(texts);
    expect(() => formatSequence(0)).toThrow(RangeError);
    expect(() => formatSequence(MAX_SEQUENCE + 1)).toThrow(RangeError);
  });

  it("reads ce_sequence from headers and ignores anything not in the contract's form", () => {
    expect(sequenceOf({ ce_sequence: Buffer.from("0000000007") })).toBe(7);
    expect(sequenceOf({ ce_sequence: "0000000007" })).toBe(7);
    expect(sequenceOf({})).toBeUndefined();
    expect(sequenceOf({ ce_sequence: "7" })).toBeUndefined();
    expect(sequenceOf({ ce_sequence: "0000000000" })).toBeUndefined();
  });

  it("tells the next event from a duplicate and a gap", () => {
    expect(checkSequence(0, 1)).toEqual({ kind: "next" });
    expect(checkSequence(4, 5)).toEqual({ kind: "next" });
    expect(checkSequence(5, 5)).toEqual({ kind: "duplicate" });
    expect(checkSequence(5, 2)).toEqual({ kind: "duplicate" });
    expect(checkSequence(5, 8)).toEqual({ kind: "gap", missing: 2 });
    expect(checkSequence(0, 2)).toEqual({ kind: "gap", missing: 1 });
  });
});
