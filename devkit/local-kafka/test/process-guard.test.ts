import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("the JVM guard", () => {
  it("kills the guarded process and removes its directory when the owner is SIGKILLed", async () => {
    const script = fileURLToPath(new URL("./fixtures/guarded-child.ts", import.meta.url));
    const owner = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve) => owner.stdout.once("data", (d: Buffer) => resolve(d.toString())));
    const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
    expect(alive(pid)).toBe(true);
    expect(await exists(dir)).toBe(true);
    owner.kill("SIGKILL");
    await expect.poll(() => alive(pid), { timeout: 20_000, interval: 100 }).toBe(false);
    await expect.poll(() => exists(dir), { timeout: 20_000, interval: 100 }).toBe(false);
  });
});
