import { createLogger, installShutdown, loadConfig } from "@orders/runtime";
import { InventorySimulatorConfigSchema } from "./config.ts";
import { FaultInjector } from "./faults.ts";
import { startInventorySimulator } from "./server.ts";

const config = (() => {
  try {
    return loadConfig(InventorySimulatorConfigSchema);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
})();
const logger = createLogger({ service: "inventory-simulator", level: config.LOG_LEVEL });
const faults = new FaultInjector({
  mode: config.INVENTORY_MODE,
  failureRate: config.INVENTORY_FAILURE_RATE,
  latencyMs: config.INVENTORY_LATENCY_MS,
  flapEvery: config.INVENTORY_FLAP_EVERY,
});
const sim = await startInventorySimulator({ port: config.PORT, host: config.HOST, currency: config.INVENTORY_CURRENCY, faults });
const shutdown = installShutdown(logger);
shutdown.onShutdown("http", () => sim.close());
logger.info("inventory simulator listening", { url: sim.url, faults: faults.settings });
