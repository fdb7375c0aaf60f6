import { describe, expect, it } from "vitest";
import { createReadiness, readinessResponse } from "../src/readiness.ts";

describe("createReadiness", () => {
  it("is ready when every check answers, and names the one that failed otherwise", async () => {
    let databaseUp = true;
    const readiness = createReadiness({
      database: async () => {
        if (!databaseUp) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
      },
      kafka: async () => {},
    });
    expect(await readiness.check()).toEqual({ ready: true, checks: { database: "ok", kafka: "ok" } });
    databaseUp = false;
    const down = await readiness.check();
    expect(down).toEqual({ ready: false, checks: { database: "connect ECONNREFUSED 127.0.0.1:5432", kafka: "ok" } });
    expect(readinessResponse(down).status).toBe(503);
    databaseUp = true;
    expect(readinessResponse(await readiness.check()).status).toBe(200);
  });

  it("reads a check that never answers as not ready, and shares the check in flight", async () => {
    let calls = 0;
    const readiness = createReadiness(
      {
        hung: () => {
          calls++;
          return new Promise(() => {});
        },
      },
      { timeoutMs: 20 },
    );
    const [a, b] = await Promise.all([readiness.check(), readiness.check()]);
    expect(a.ready).toBe(false);
    expect(b.checks.hung).toMatch(/no answer/);
    expect(calls).toBe(1);
  });

  it("is not ready while draining, whatever the checks say", async () => {
    const readiness = createReadiness({ database: async () => {} }, { isDraining: () => true });
    expect((await readiness.check()).ready).toBe(false);
  });
});
