import { BrokenCircuitError } from "cockatiel";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { applyDeprecatedNames, buildCallPolicy, createLogger, env, loadConfig } from "../src/index.ts";

describe("loadConfig", () => {
  const schema = v.object({ PORT: env.int(3000, 1, 65535), DATABASE_URL: env.url(), DEBUG: env.bool(false), TOPICS: env.list("a,b") });

  it("applies defaults and converts types", () => {
    expect(loadConfig(schema, { DATABASE_URL: "postgresql://x/y" })).toEqual({
      PORT: 3000,
      DATABASE_URL: "postgresql://x/y",
      DEBUG: false,
      TOPICS: ["a", "b"],
    });
    expect(loadConfig(schema, { DATABASE_URL: "postgresql://x/y", PORT: "8080", DEBUG: "true", TOPICS: " x , y ,," })).toMatchObject({
      PORT: 8080,
      DEBUG: true,
      TOPICS: ["x", "y"],
    });
  });

  it("names every bad variable in one error", () => {
    expect(() => loadConfig(schema, { PORT: "eighty", DEBUG: "yes" })).toThrowError(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/PORT.*DATABASE_URL|DATABASE_URL.*PORT/) }),
    );
    try {
      loadConfig(schema, { PORT: "70000", DEBUG: "yes" });
    } catch (error) {
      const pointers = (error as { issues: { pointer: string }[] }).issues.map((i) => i.pointer).sort();
      expect(pointers).toEqual(["/DATABASE_URL", "/DEBUG", "/PORT"]);
    }
  });

  it("reads a deprecated name under its current one, with a warning, unless the current one is set", () => {
    const renamed = { DB_POOL_MAX: "DATABASE_POOL_MAX" };
    expect(applyDeprecatedNames({ DB_POOL_MAX: "8" }, renamed)).toEqual({
      env: { DB_POOL_MAX: "8", DATABASE_POOL_MAX: "8" },
      warnings: ["DB_POOL_MAX is deprecated: rename it to DATABASE_POOL_MAX"],
    });
    expect(applyDeprecatedNames({ DB_POOL_MAX: "8", DATABASE_POOL_MAX: "9" }, renamed)).toEqual({
      env: { DB_POOL_MAX: "8", DATABASE_POOL_MAX: "9" },
      warnings: ["DB_POOL_MAX is deprecated and ignored: DATABASE_POOL_MAX is set"],
    });
    expect(applyDeprecatedNames({ DATABASE_POOL_MAX: "9" }, renamed)).toEqual({ env: { DATABASE_POOL_MAX: "9" }, warnings: [] });
  });
});

describe("createLogger", () => {
  it("writes one JSON object per line with bound fields and serialised errors, honouring the level", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "svc", level: "info", write: (l) => lines.push(l) }).child({ requestId: "r1" });
    log.debug("hidden");
    log.error("boom", { err: Object.assign(new Error("bad", { cause: new Error("root") }), { code: "X" }) });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] as string);
    expect(record).toMatchObject({
      level: "error",
      service: "svc",
      msg: "boom",
      requestId: "r1",
      err: { message: "bad", code: "X", cause: { message: "root" } },
    });
  });
});

describe("buildCallPolicy", () => {
  const options = { timeoutMs: 50, retries: 2, initialDelayMs: 1, maxDelayMs: 2, breakerThreshold: 3, halfOpenAfterMs: 60_000 };
  const transient = () => Object.assign(new Error("503"), { retriable: true });
  const permanent = () => Object.assign(new Error("422"), { retriable: false });

  it("retries transient failures and then succeeds", async () => {
    const { policy } = buildCallPolicy(options);
    let calls = 0;
    const result = await policy.execute(async () => {
      calls++;
      if (calls < 3) throw transient();
      return "ok";
    });
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  it("does not retry a permanent failure", async () => {
    const { policy } = buildCallPolicy(options);
    let calls = 0;
    await expect(
      policy.execute(async () => {
        calls++;
        throw permanent();
      }),
    ).rejects.toThrow("422");
    expect(calls).toBe(1);
  });

  it("times out a slow attempt and opens the breaker after repeated transient failures", async () => {
    const { policy } = buildCallPolicy({ ...options, retries: 0 });
    let calls = 0;
    const slow = () =>
      policy.execute(async ({ signal }) => {
        calls++;
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, 1_000);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(new Error("aborted"));
          });
        });
      });
    for (let i = 0; i < 3; i++) await expect(slow()).rejects.toThrow();
    await expect(slow()).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(3);
  });
});
