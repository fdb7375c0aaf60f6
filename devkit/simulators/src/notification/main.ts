import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createBatchConsumer, createKafka, topicNamesFrom } from "@orders/kafka";
import { announceListening, createMetricsRegistry, env, prometheus } from "@orders/runtime";
import * as v from "valibot";
import { SimulatorKafkaEnv } from "../kafka-side/config.ts";
import { startSimulatorProcess } from "../run-service.ts";
import { notificationHandler } from "./app.ts";
import { NotificationService } from "./notification-service.ts";

const Schema = v.object({
  ...SimulatorKafkaEnv,
  PORT: env.int(4004, 0, 65_535),
  HOST: env.string("127.0.0.1"),
  NOTIFICATION_GROUP_ID: env.string("notification-service"),
  /** Append-only journal of handled events and sent messages (exactly once across restarts); empty: memory only. */
  NOTIFICATION_JOURNAL: v.optional(v.string(), ""),
});

const { config, logger, shutdown } = startSimulatorProcess(Schema, "notification-service");
const registry = createMetricsRegistry("notification-service");
const sent = new prometheus.Counter({
  name: "notifications_sent_total",
  help: "Messages sent, by template and channel",
  labelNames: ["template", "channel"],
  registers: [registry],
});
const gaps = new prometheus.Counter({
  name: "notification_sequence_gaps_total",
  help: "Gaps detected in an order's ce_sequence on orders",
  registers: [registry],
});
const duplicates = new prometheus.Counter({
  name: "notification_duplicate_events_total",
  help: "Records whose (order id, ce_sequence) was already handled",
  registers: [registry],
});
const service = new NotificationService({
  logger,
  ...(config.NOTIFICATION_JOURNAL ? { journalPath: config.NOTIFICATION_JOURNAL } : {}),
  hooks: {
    onSent: (m) => sent.inc({ template: m.template, channel: m.channel }),
    onGap: () => gaps.inc(),
    onDuplicate: () => duplicates.inc(),
  },
});
new prometheus.Gauge({
  name: "notification_open_sequence_gaps",
  help: "Gaps not filled by a later arrival",
  registers: [registry],
  collect() {
    this.set(service.openGaps());
  },
});

const topics = topicNamesFrom(config);
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "notification-service" });
const consumer = createBatchConsumer(kafka, {
  groupId: config.NOTIFICATION_GROUP_ID,
  topics: [topics.orders],
  handle: service.handle,
  fromBeginning: true,
});
await consumer.start();
shutdown.onShutdown("consumer", () => consumer.stop());

const server = createServer(notificationHandler(service, registry));
await new Promise<void>((r) => server.listen(config.PORT, config.HOST, r));
shutdown.onShutdown("http", () => new Promise<void>((r) => server.close(() => r())));
const url = `http://${config.HOST}:${(server.address() as AddressInfo).port}`;
logger.info("notification service running", { url, group: config.NOTIFICATION_GROUP_ID, journal: config.NOTIFICATION_JOURNAL || null });
announceListening("notification-service", url);
