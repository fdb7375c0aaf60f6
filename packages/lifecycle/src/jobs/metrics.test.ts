import { createMetricsRegistry } from "@orders/runtime";
import { describe, expect, it } from "vitest";
import { sagaJobMetrics } from "./metrics.ts";

const sampleOf = async (registry: ReturnType<typeof createMetricsRegistry>, name: string, labels: Record<string, string> = {}) => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const entry = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return entry?.value;
};

describe("saga job metrics", () => {
  it("records when a scheduled chore last succeeded, and not when it failed", async () => {
    const registry = createMetricsRegistry("t");
    const m = sagaJobMetrics(registry);
    const before = Date.now() / 1000;
    m.onJob("pending-deadline", "swept", 0.01);
    const at = await sampleOf(registry, "consumer_job_last_success_timestamp_seconds", { queue: "pending-deadline" });
    expect(at).toBeGreaterThanOrEqual(before - 1);
    m.onJob("payment-reconcile", "failed", 0.01);
    expect(await sampleOf(registry, "consumer_job_last_success_timestamp_seconds", { queue: "payment-reconcile" })).toBeUndefined();
  });

  it("reports the payment breaker's state as it is when scraped", async () => {
    const registry = createMetricsRegistry("t");
    const m = sagaJobMetrics(registry);
    let state = 0;
    m.watchPaymentBreaker(() => state);
    expect(await sampleOf(registry, "consumer_payment_circuit_state")).toBe(0);
    state = 1;
    expect(await sampleOf(registry, "consumer_payment_circuit_state")).toBe(1);
  });
});
