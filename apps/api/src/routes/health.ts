import type { Pool } from "@orders/db";
import { createReadiness, readinessResponse } from "@orders/runtime";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { AppEnv } from "../env.ts";

/** Liveness, readiness (database reachable, not draining) and Prometheus metrics; no auth. */
export function healthRoutes(deps: { pool: Pool; registry: Registry; isDraining: () => boolean }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // Bounded: with the database unreachable or hanging the answer is a prompt 503, not a stall.
  const readiness = createReadiness({ database: () => deps.pool.query("SELECT 1") }, { isDraining: deps.isDraining });
  app.get("/readyz", async (c) => {
    const { status, body } = readinessResponse(await readiness.check());
    return c.body(body, status as 200 | 503, { "Content-Type": "application/json" });
  });
  app.get("/metrics", async (c) => c.body(await deps.registry.metrics(), 200, { "Content-Type": deps.registry.contentType }));
  return app;
}
