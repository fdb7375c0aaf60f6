import { readFileSync } from "node:fs";
import { CONNECTOR_JSON } from "./paths.ts";

export type ConnectorRegistration = { name: string; config: Record<string, string> };

/** deploy/debezium/outbox-connector.json as checked in (the same file docker-compose registers). */
export function loadOutboxConnector(): ConnectorRegistration {
  const parsed = JSON.parse(readFileSync(CONNECTOR_JSON, "utf8")) as ConnectorRegistration;
  return { name: parsed.name, config: { ...parsed.config } };
}

export type OutboxConnectorOverrides = {
  name?: string;
  /** Names the raw table topics before routing and the heartbeat topic. */
  topicPrefix?: string;
  slotName?: string;
  publicationName?: string;
  /** Topic the EventRouter routes every outbox row to; default `${env:ORDERS_TOPIC}`. */
  topic?: string;
  heartbeatIntervalMs?: number;
  /** Any other connector property. */
  extra?: Record<string, string>;
};

/**
 * The checked-in connector with the per-instance names replaced — several connectors (test
 * files, the benchmark) share one PostgreSQL server, and replication slots are server-wide.
 */
export function outboxConnector(overrides: OutboxConnectorOverrides = {}): ConnectorRegistration {
  const base = loadOutboxConnector();
  const config = { ...base.config };
  if (overrides.topicPrefix) config["topic.prefix"] = overrides.topicPrefix;
  if (overrides.slotName) config["slot.name"] = overrides.slotName;
  if (overrides.publicationName) config["publication.name"] = overrides.publicationName;
  if (overrides.topic) config["transforms.outbox.route.topic.replacement"] = overrides.topic;
  if (overrides.heartbeatIntervalMs !== undefined) config["heartbeat.interval.ms"] = String(overrides.heartbeatIntervalMs);
  Object.assign(config, overrides.extra);
  return { name: overrides.name ?? base.name, config };
}

/** POSTGRES_HOST/PORT/USER/PASSWORD/DB from a `postgres://` URL, for `${env:…}` in the connector config. */
export function postgresEnv(databaseUrl: string): Record<string, string> {
  const u = new URL(databaseUrl);
  return {
    POSTGRES_HOST: u.hostname || "127.0.0.1",
    POSTGRES_PORT: u.port || "5432",
    POSTGRES_USER: decodeURIComponent(u.username || "postgres"),
    POSTGRES_PASSWORD: decodeURIComponent(u.password),
    POSTGRES_DB: decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
  };
}
