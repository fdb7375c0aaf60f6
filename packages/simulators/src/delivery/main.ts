import { createServer } from "node:http";
import { createBatchConsumer, createIdempotentProducer, createKafka, topicNamesFrom } from "@orders/kafka";
import { createLogger, env, installShutdown, loadConfig } from "@orders/runtime";
import * as v from "valibot";
import { ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import { chaosFrom, SimulatorKafkaEnv } from "../kafka-side/config.ts";
import { DeliveryService } from "./delivery-service.ts";

const Schema = v.object({
  ...SimulatorKafkaEnv,
  PORT: env.int(4003, 0, 65_535),
  HOST: env.string("127.0.0.1"),
  DELIVERY_SHIP_MIN_MS: env.int(50, 0, 3_600_000),
  DELIVERY_SHIP_MAX_MS: env.int(300, 0, 3_600_000),
  DELIVERY_DELIVER_MIN_MS: env.int(50, 0, 3_600_000),
  DELIVERY_DELIVER_MAX_MS: env.int(300, 0, 3_600_000),
  DELIVERY_GROUP_ID: env.string("delivery-simulator"),
});

const config = (() => {
  try {
    return loadConfig(Schema);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
})();
const logger = createLogger({ service: "delivery-simulator", level: config.LOG_LEVEL });
const shutdown = installShutdown(logger);
const topics = topicNamesFrom(config);
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "delivery-simulator" });
const producer = createIdempotentProducer(kafka);
await producer.connect();
shutdown.onShutdown("producer", () => producer.disconnect());
const emitter = new ChaosEmitter(producer, topics.deliveries, chaosFrom(config));
shutdown.onShutdown("emitter", () => emitter.close());
const service = new DeliveryService({
  emitter,
  shipMinMs: config.DELIVERY_SHIP_MIN_MS,
  shipMaxMs: config.DELIVERY_SHIP_MAX_MS,
  deliverMinMs: config.DELIVERY_DELIVER_MIN_MS,
  deliverMaxMs: config.DELIVERY_DELIVER_MAX_MS,
});
shutdown.onShutdown("shipments", () => service.stop());
const consumer = createBatchConsumer(kafka, { groupId: config.DELIVERY_GROUP_ID, topics: [topics.orders], handle: service.handle });
await consumer.start();
shutdown.onShutdown("consumer", () => consumer.stop());
// Health and stats only; the delivery service has no business HTTP API.
const server = createServer((req, res) => {
  const body = req.url === "/admin/stats" ? { ...service.stats, sent: emitter.sent, duplicated: emitter.duplicated } : { status: "ok" };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
});
await new Promise<void>((r) => server.listen(config.PORT, config.HOST, r));
shutdown.onShutdown("http", () => new Promise<void>((r) => server.close(() => r())));
logger.info("delivery simulator running", { chaos: emitter.settings });
