import { announceListening } from "@orders/runtime";
import { startSimulatorProcess } from "../run-service.ts";
import { faultsFrom, InventorySimulatorConfigSchema } from "./config.ts";
import { startInventorySimulator } from "./server.ts";

const { config, logger, shutdown } = startSimulatorProcess(InventorySimulatorConfigSchema, "inventory-simulator");
const faults = faultsFrom(config);
const sim = await startInventorySimulator({ port: config.PORT, host: config.HOST, currency: config.INVENTORY_CURRENCY, faults });
shutdown.onShutdown("http", () => sim.close());
logger.info("inventory simulator listening", { url: sim.url, faults: faults.settings });
announceListening("inventory-simulator", sim.url);
