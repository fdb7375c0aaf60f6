import type { Pool } from "@orders/db";
import { prometheus } from "@orders/runtime";
import type { Registry } from "prom-client";

export interface ApiMetrics {
  readonly registry: Registry;
  readonly requests: prometheus.Counter<"method" | "route" | "status">;
  readonly duration: prometheus.Histogram<"method" | "route" | "status">;
  readonly idempotency: prometheus.Counter<"outcome">;
}

/** The API's Prometheus metrics: requests and latency by route and status, pool usage, idempotency outcomes. */
export function createApiMetrics(registry: Registry, pool: Pool, breakerState?: () => number): ApiMetrics {
  const requests = new prometheus.Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new prometheus.Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const idempotency = new prometheus.Counter({
    name: "idempotency_requests_total",
    help: "Idempotency-Key outcomes: created, replayed, in_flight (409), reused (422)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  new prometheus.Gauge({
    name: "db_pool_connections",
    help: "PostgreSQL pool connections by state (total, idle, waiting requests)",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.set({ state: "total" }, pool.totalCount);
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "waiting" }, pool.waitingCount);
    },
  });
  if (breakerState) {
    new prometheus.Gauge({
      name: "inventory_circuit_state",
      help: "Inventory circuit breaker: 0 closed, 1 open, 2 half-open, 3 isolated",
      registers: [registry],
      collect() {
        this.set(breakerState());
      },
    });
  }
  return { registry, requests, duration, idempotency };
}
