import { describe, expect, it } from "vitest";
import { AppError, addMoney, compareMoney, MONEY_MAX, multiplyMoney, orderTotal, parseMoney } from "../src/index.ts";

describe("money", () => {
  it("normalises to two fractional digits", () => {
    expect(parseMoney("1")).toBe("1.00");
    expect(parseMoney("1.5")).toBe("1.50");
    expect(parseMoney("0.07")).toBe("0.07");
  });

  it("adds without float error (0.1 + 0.2 is 0.30)", () => {
    expect(addMoney(parseMoney("0.1"), parseMoney("0.2"))).toBe("0.30");
    const cents = Array.from({ length: 1000 }, () => parseMoney("0.01"));
    expect(addMoney(...cents)).toBe("10.00");
  });

  it("multiplies a unit price by an integer quantity exactly", () => {
    expect(multiplyMoney(parseMoney("19.99"), 3)).toBe("59.97");
    expect(multiplyMoney(parseMoney("0.10"), 1000)).toBe("100.00");
    expect(multiplyMoney(parseMoney("1.15"), 0)).toBe("0.00");
  });

  it("keeps values beyond 2^53 exact", () => {
    const big = parseMoney("99999999999.99");
    expect(multiplyMoney(big, 9)).toBe("899999999999.91");
    expect(addMoney(parseMoney("999999999999.98"), parseMoney("0.01"))).toBe(MONEY_MAX);
  });

  it("refuses amounts NUMERIC(14,2) cannot hold", () => {
    expect(() => addMoney(parseMoney(MONEY_MAX), parseMoney("0.01"))).toThrow(AppError);
    expect(() => multiplyMoney(parseMoney("500000000000.00"), 2)).toThrow(/exceeds/);
    expect(() => parseMoney("1000000000000")).toThrow(/not a money amount/);
  });

  it.each(["1.234", "-1.00", "1e3", "0x10", " 1.00", "1.", ".5", "01.00", "", "NaN", "Infinity"])("rejects %j", (text) => {
    expect(() => parseMoney(text)).toThrowError(expect.objectContaining({ code: "INVALID_MONEY" }));
  });

  it("refuses non-integer or negative quantities instead of rounding", () => {
    expect(() => multiplyMoney(parseMoney("1.00"), 1.5)).toThrow(/integer/);
    expect(() => multiplyMoney(parseMoney("1.00"), -1)).toThrow(/integer/);
  });

  it("totals many lines exactly", () => {
    const lines = Array.from({ length: 100 }, (_, i) => ({ unitPrice: parseMoney(`${i}.33`), quantity: 1000 }));
    // Σ (i + 0.33) × 1000 for i in 0..99 = 1000 × (4950 + 33)
    expect(orderTotal(lines)).toBe("4983000.00");
  });

  it("compares", () => {
    expect(compareMoney(parseMoney("2.00"), parseMoney("10.00"))).toBe(-1);
    expect(compareMoney(parseMoney("2"), parseMoney("2.00"))).toBe(0);
  });
});
