import { announceListening, env } from "@orders/runtime";
import * as v from "valibot";
import { DEFAULT_CATALOGUE } from "../inventory/catalogue.ts";
import { faultsFrom, InventorySimulatorConfigSchema } from "../inventory/config.ts";
import { startInventorySimulator } from "../inventory/server.ts";
import type { ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import { rateEnv, SimulatorKafkaEnv } from "../kafka-side/config.ts";
import { consumeOrders, startKafkaSide } from "../kafka-side/kafka-side.ts";
import { startSimulatorProcess } from "../run-service.ts";
import { InventoryEvents } from "./inventory-events.ts";

/**
 * The whole Inventory simulator: the HTTP check-and-quote server and its Kafka side sharing
 * one stock store, in one process (`npm run start:inventory-full -w @orders/simulators`).
 */
const Schema = v.object({
  ...InventorySimulatorConfigSchema.entries,
  ...SimulatorKafkaEnv,
  INVENTORY_RESERVE_FAILURE_RATE: rateEnv("0"),
  INVENTORY_SILENCE_RATE: rateEnv("0"),
  INVENTORY_MIN_DELAY_MS: env.int(5, 0, 600_000),
  INVENTORY_MAX_DELAY_MS: env.int(50, 0, 600_000),
  INVENTORY_GROUP_ID: env.string("inventory-simulator"),
});

const { config, logger, shutdown } = startSimulatorProcess(Schema, "inventory-simulator");
const faults = faultsFrom(config);
const sim = await startInventorySimulator({ port: config.PORT, host: config.HOST, currency: config.INVENTORY_CURRENCY, faults });
shutdown.onShutdown("http", () => sim.close());
// Registered before any request reaches the server (Hono builds its router on the first one).
let events: InventoryEvents | undefined;
let emitter: ChaosEmitter | undefined;
sim.app.get("/admin/events", (c) =>
  c.json({ ...events?.stats, sent: emitter?.sent, duplicated: emitter?.duplicated, chaos: emitter?.settings }),
);
// The stock ledger: every order's hold and lines, and per product the starting and current stock.
sim.app.get("/admin/ledger", (c) => {
  const initial = new Map(DEFAULT_CATALOGUE.map((p) => [p.productId, p.stock]));
  return c.json({
    orders: events?.ledger() ?? [],
    products: sim.store.list().map((p) => ({ productId: p.productId, initial: initial.get(p.productId) ?? 0, stock: p.stock })),
  });
});

const side = await startKafkaSide(config, shutdown, {
  clientId: "inventory-simulator",
  answerTopic: (t) => t.inventory,
  maxInFlightRequests: 1,
});
emitter = side.emitter;
const answers = new InventoryEvents({
  store: sim.store,
  emitter: side.emitter,
  failureRate: config.INVENTORY_RESERVE_FAILURE_RATE,
  silenceRate: config.INVENTORY_SILENCE_RATE,
  minDelayMs: config.INVENTORY_MIN_DELAY_MS,
  maxDelayMs: config.INVENTORY_MAX_DELAY_MS,
  // One service: an outage or slowness set through /admin/faults reaches its Kafka answers too.
  health: () => ({ down: faults.settings.mode === "down", delayMs: faults.settings.mode === "slow" ? faults.delayMs() : 0 }),
});
events = answers;
shutdown.onShutdown("answers", () => answers.stop());
await consumeOrders(side, shutdown, config.INVENTORY_GROUP_ID, answers.handle);
logger.info("inventory simulator listening", { url: sim.url, chaos: side.emitter.settings, faults: faults.settings });
announceListening("inventory-simulator", sim.url);
