import { describe, expect, it } from "vitest";
import { createMetricsRegistry, prometheus } from "../src/metrics.ts";
import { serveOps } from "../src/ops-server.ts";
import { createPipelineHealth, gaugeMax, pipelineHealthResponse } from "../src/pipeline-health.ts";
import { createReadiness } from "../src/readiness.ts";

describe("pipeline health", () => {
  it("is degraded only while a value is above its bound; unknown values do not degrade", async () => {
    let age: number | null = null;
    const health = createPipelineHealth([{ name: "oldest_unpublished_age_seconds", value: () => age, max: 60 }]);
    expect((await health.check()).degraded).toBe(false);
    expect((await health.check()).checks.oldest_unpublished_age_seconds?.status).toBe("unknown");
    age = 61;
    const report = await health.check();
    expect(report).toEqual({ degraded: true, checks: { oldest_unpublished_age_seconds: { value: 61, max: 60, status: "degraded" } } });
    expect(pipelineHealthResponse(report).status).toBe(503);
    age = 60;
    expect(pipelineHealthResponse(await health.check())).toMatchObject({ status: 200 });
    expect(() => createPipelineHealth([{ name: "x", value: () => 1, max: 0 }])).toThrow(/must be > 0/);
  });

  it("is served on /health/pipeline apart from /healthz, which stays 200 during a backlog", async () => {
    const registry = createMetricsRegistry("t");
    const lag = new prometheus.Gauge({ name: "lag", help: "h", labelNames: ["partition"], registers: [registry] });
    lag.set({ partition: "0" }, 5);
    lag.set({ partition: "1" }, 500);
    const server = await serveOps({
      registry,
      port: 0,
      host: "127.0.0.1",
      readiness: createReadiness({}),
      pipeline: createPipelineHealth([{ name: "consumer_lag_records", value: () => gaugeMax(lag), max: 100 }]),
    });
    try {
      const pipeline = await fetch(`${server.url}/health/pipeline`);
      expect(pipeline.status).toBe(503);
      expect(await pipeline.json()).toEqual({
        status: "degraded",
        checks: { consumer_lag_records: { value: 500, max: 100, status: "degraded" } },
      });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      lag.set({ partition: "1" }, 0);
      expect((await fetch(`${server.url}/health/pipeline`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
