// Must stay first: tracing registers before pg is loaded (see tracing.ts).
import "./tracing.ts";
import { createPool } from "@orders/db";
import { announceListening, createLogger, installShutdown, loadConfigOrExit, startTracing, waitForDependency } from "@orders/runtime";
import { type ApiConfig, ApiConfigSchema } from "./config.ts";
import { createApi, listen, scheduleIdempotencyCleanup, sessionTimeoutsFrom } from "./wiring.ts";

// DATABASE_URL is required here; `npm run start:local` (src/local.ts) provides a throw-away
// local PostgreSQL for development — production never imports the embedded servers.
const config: ApiConfig = loadConfigOrExit(ApiConfigSchema, { required: ["DATABASE_URL"] });
const logger = createLogger({ service: "api", level: config.LOG_LEVEL });
const shutdown = installShutdown(logger, { timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
// Registered first, so it runs last: spans of the shutdown itself are flushed too.
const tracing = startTracing({ service: "api" }); // the one tracing.ts started
shutdown.onShutdown("tracing", () => tracing.shutdown());

// The database first, with bounded retries (DESIGN §8): pg-boss' start below needs it too.
const pool = createPool({
  connectionString: config.DATABASE_URL as string,
  max: config.DATABASE_POOL_MAX,
  applicationName: "order-api",
  ...sessionTimeoutsFrom(config),
});
shutdown.onShutdown("database pool", () => pool.end());
await waitForDependency("PostgreSQL", () => pool.query("SELECT 1"), logger);

// Refunds of cancelled paid orders: a pg-boss job in the cancel transaction, run by the consumer.
const { startSagaBoss } = await import("@orders/lifecycle");
let boss: Awaited<ReturnType<typeof startSagaBoss>> | undefined;
await waitForDependency(
  "PostgreSQL (job queue)",
  async () => {
    boss = await startSagaBoss({
      connectionString: config.DATABASE_URL as string,
      max: 2,
      supervise: false,
      schedule: false,
      idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    });
  },
  logger,
);
const jobs = boss as NonNullable<typeof boss>;
shutdown.onShutdown("pg-boss", () => jobs.stop({ graceful: true, close: true }));

let draining = false;
const api = createApi(config, logger, { pool, isDraining: () => draining, jobs });
const { replicaPool } = api;
if (replicaPool) shutdown.onShutdown("replica pool", () => replicaPool.end());
const { readPool } = api;
if (readPool) shutdown.onShutdown("read database pool", () => readPool.end());
shutdown.onShutdown("idempotency clean-up", scheduleIdempotencyCleanup(pool, config.IDEMPOTENCY_CLEANUP_INTERVAL_MS, logger));

const server = await listen(api.app.fetch, config.PORT, config.HOST, { keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS });
// Runs first (steps run last-registered first): /readyz turns 503 at once, the listener keeps
// accepting for the drain window, then in-flight requests finish before the pool closes.
shutdown.onShutdown("http server", async () => {
  draining = true;
  logger.info("draining http", { drainMs: config.SHUTDOWN_DRAIN_MS });
  // In-flight requests get what is left of the step's SHUTDOWN_TIMEOUT_MS, then are reset.
  const inFlightMs = Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - config.SHUTDOWN_DRAIN_MS - 500);
  await server.drain({ drainMs: config.SHUTDOWN_DRAIN_MS, timeoutMs: inFlightMs });
});
logger.info("api listening", { url: server.url, inventory: config.INVENTORY_URL });
announceListening("api", server.url);
