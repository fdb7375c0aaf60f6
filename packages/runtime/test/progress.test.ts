import { describe, expect, it } from "vitest";
import { createProgress, progressLine } from "../src/progress.ts";

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream };
};

describe("replay progress", () => {
  it("shows percentage, counts, rate and ETA", () => {
    expect(progressLine(250, 1000, 5_000, 10)).toBe("███░░░░░░░  25.0% 250/1000 50/s ETA 15s");
    expect(progressLine(1000, 1000, 10_000, 4)).toBe("████ 100.0% 1000/1000 100/s ETA 0s");
  });

  it("stays silent on a pipe for short runs and prints a line per interval on long ones", () => {
    let now = 0;
    const { lines, stream } = sink();
    const p = createProgress("replay", { stream, tty: false, intervalMs: 5_000, now: () => now });
    now = 1_000;
    p.update(10, 100);
    expect(lines).toEqual([]);
    now = 6_000;
    p.update(60, 100);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^replay .* 60\/100 10\/s ETA 4s\n$/);
    p.finish();
    expect(lines).toHaveLength(2);
  });

  it("redraws one line on a terminal", () => {
    let now = 0;
    const { lines, stream } = sink();
    const p = createProgress("replay", { stream, tty: true, now: () => now });
    now = 200;
    p.update(1, 2);
    p.finish();
    expect(lines[0]?.startsWith("\r")).toBe(true);
    expect(lines.at(-1)?.endsWith("\n")).toBe(true);
  });
});
