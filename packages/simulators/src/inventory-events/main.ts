import { createBatchConsumer, createIdempotentProducer, createKafka, topicNamesFrom } from "@orders/kafka";
import { createLogger, env, installShutdown, loadConfig } from "@orders/runtime";
import * as v from "valibot";
import { InventorySimulatorConfigSchema } from "../inventory/config.ts";
import { FaultInjector } from "../inventory/faults.ts";
import { startInventorySimulator } from "../inventory/server.ts";
import { ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import { chaosFrom, rateEnv, SimulatorKafkaEnv } from "../kafka-side/config.ts";
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

const config = (() => {
  try {
    return loadConfig(Schema);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
})();
const logger = createLogger({ service: "inventory-simulator", level: config.LOG_LEVEL });
const shutdown = installShutdown(logger);
const faults = new FaultInjector({
  mode: config.INVENTORY_MODE,
  failureRate: config.INVENTORY_FAILURE_RATE,
  latencyMs: config.INVENTORY_LATENCY_MS,
  flapEvery: config.INVENTORY_FLAP_EVERY,
});
const sim = await startInventorySimulator({ port: config.PORT, host: config.HOST, currency: config.INVENTORY_CURRENCY, faults });
shutdown.onShutdown("http", () => sim.close());
// Registered before any request reaches the server (Hono builds its router on the first one).
let events: InventoryEvents | undefined;
let emitter: ChaosEmitter | undefined;
sim.app.get("/admin/events", (c) =>
  c.json({ ...events?.stats, sent: emitter?.sent, duplicated: emitter?.duplicated, chaos: emitter?.settings }),
);

const topics = topicNamesFrom(config);
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "inventory-simulator" });
const producer = createIdempotentProducer(kafka, { maxInFlightRequests: 1 });
await producer.connect();
shutdown.onShutdown("producer", () => producer.disconnect());
emitter = new ChaosEmitter(producer, topics.inventory, chaosFrom(config));
const out = emitter;
shutdown.onShutdown("emitter", () => out.close());
events = new InventoryEvents({
  store: sim.store,
  emitter,
  failureRate: config.INVENTORY_RESERVE_FAILURE_RATE,
  silenceRate: config.INVENTORY_SILENCE_RATE,
  minDelayMs: config.INVENTORY_MIN_DELAY_MS,
  maxDelayMs: config.INVENTORY_MAX_DELAY_MS,
});
const answers = events;
shutdown.onShutdown("answers", () => answers.stop());
const consumer = createBatchConsumer(kafka, { groupId: config.INVENTORY_GROUP_ID, topics: [topics.orders], handle: answers.handle });
await consumer.start();
shutdown.onShutdown("consumer", () => consumer.stop());
logger.info("inventory simulator listening", { url: sim.url, chaos: out.settings, faults: faults.settings });
