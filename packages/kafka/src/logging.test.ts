import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkajsLogCreator, routeKafkaLogs } from "./logging.ts";

describe("Kafka client logs", () => {
  it("go through the process logger at the matching level, with the client's fields", () => {
    const seen: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
      seen.push({ level, msg, ...(fields ? { fields } : {}) });
    routeKafkaLogs({ debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") });
    const log = kafkajsLogCreator();
    log({
      namespace: "Runner",
      level: logLevel.WARN,
      label: "WARN",
      log: { timestamp: "2026-01-01T00:00:00.000Z", logger: "kafkajs", message: "The group is rebalancing, re-joining", groupId: "g1" },
    });
    log({
      namespace: "Connection",
      level: logLevel.ERROR,
      label: "ERROR",
      log: { timestamp: "t", message: "Connection error", broker: "b:9092" },
    });
    expect(seen).toEqual([
      { level: "warn", msg: "The group is rebalancing, re-joining", fields: { logger: "kafkajs", namespace: "Runner", groupId: "g1" } },
      { level: "error", msg: "Connection error", fields: { logger: "kafkajs", namespace: "Connection", broker: "b:9092" } },
    ]);
  });
});
