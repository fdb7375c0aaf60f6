import type { Pool } from "@orders/db";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { AppEnv } from "../env.ts";

/** Liveness, readiness (database reachable, not draining) and Prometheus metrics; no auth. */
export function healthRoutes(deps: { pool: Pool; registry: Registry; isDraining: () => boolean }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    if (deps.isDraining()) return c.json({ status: "unavailable" }, 503);
    try {
      await deps.pool.query("SELECT 1");
      return c.json({ status: "ok" });
    } catch {
      return c.json({ status: "unavailable" }, 503);
    }
  });
  app.get("/metrics", async (c) => c.body(await deps.registry.metrics(), 200, { "Content-Type": deps.registry.contentType }));
  return app;
}
