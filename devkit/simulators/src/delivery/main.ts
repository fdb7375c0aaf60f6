import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { announceListening, env } from "@orders/runtime";
import * as v from "valibot";
import { SimulatorKafkaEnv } from "../kafka-side/config.ts";
import { consumeOrders, startKafkaSide } from "../kafka-side/kafka-side.ts";
import { startSimulatorProcess } from "../run-service.ts";
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

const { config, logger, shutdown } = startSimulatorProcess(Schema, "delivery-simulator");
const side = await startKafkaSide(config, shutdown, { clientId: "delivery-simulator", answerTopic: (t) => t.deliveries });
const { emitter } = side;
const service = new DeliveryService({
  emitter,
  shipMinMs: config.DELIVERY_SHIP_MIN_MS,
  shipMaxMs: config.DELIVERY_SHIP_MAX_MS,
  deliverMinMs: config.DELIVERY_DELIVER_MIN_MS,
  deliverMaxMs: config.DELIVERY_DELIVER_MAX_MS,
});
shutdown.onShutdown("shipments", () => service.stop());
await consumeOrders(side, shutdown, config.DELIVERY_GROUP_ID, service.handle);
// Health and stats only; the delivery service has no business HTTP API.
const server = createServer((req, res) => {
  const body = req.url === "/admin/stats" ? { ...service.stats, sent: emitter.sent, duplicated: emitter.duplicated } : { status: "ok" };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
});
await new Promise<void>((r) => server.listen(config.PORT, config.HOST, r));
shutdown.onShutdown("http", () => new Promise<void>((r) => server.close(() => r())));
const url = `http://${config.HOST}:${(server.address() as AddressInfo).port}`;
logger.info("delivery simulator running", { url, chaos: emitter.settings });
announceListening("delivery-simulator", url);
