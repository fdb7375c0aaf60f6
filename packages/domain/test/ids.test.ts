import { describe, expect, it } from "vitest";
import { isUuid, uuidv7, uuidv7Time } from "../src/index.ts";

describe("uuidv7", () => {
  it("produces RFC 9562 version 7, variant 10 ids", () => {
    const id = uuidv7();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
  });

  it("encodes the creation millisecond", () => {
    expect(uuidv7Time(uuidv7(1_750_000_000_123))).toBeGreaterThanOrEqual(1_750_000_000_123);
  });

  it("sorts in creation order, also many within one millisecond", () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
