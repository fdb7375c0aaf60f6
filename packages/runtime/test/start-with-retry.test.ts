import { describe, expect, it } from "vitest";
import { createLogger, startWithRetry } from "../src/index.ts";

const logger = createLogger({ service: "test", level: "silent" });

describe("startWithRetry: start-up rides through a dependency that is briefly away (DESIGN §8)", () => {
  it("retries a start that fails while a server restarts and returns what the start returned", async () => {
    let calls = 0;
    const started = await startWithRetry(
      "thing",
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        return { running: true };
      },
      logger,
      { delayMs: 1 },
    );
    expect(started).toEqual({ running: true });
    expect(calls).toBe(3);
  });

  it("gives up after the bounded number of attempts with a one-line reason and exit status 1", async () => {
    const exit = process.exit;
    const write = process.stderr.write;
    let status: number | undefined;
    let said = "";
    process.exit = ((code?: number) => {
      status = code;
      throw new Error("exited");
    }) as typeof process.exit;
    process.stderr.write = ((chunk: string) => {
      said += chunk;
      return true;
    }) as typeof process.stderr.write;
    let calls = 0;
    try {
      await expect(
        startWithRetry(
          "consumer start-up",
          async () => {
            calls++;
            throw new Error("connect ECONNREFUSED\n127.0.0.1:5432");
          },
          logger,
          { attempts: 3, delayMs: 1 },
        ),
      ).rejects.toThrow("exited");
    } finally {
      process.exit = exit;
      process.stderr.write = write;
    }
    expect(calls).toBe(3);
    expect(status).toBe(1);
    expect(said).toBe("consumer start-up unreachable after 3 attempts: connect ECONNREFUSED 127.0.0.1:5432\n");
  });
});
