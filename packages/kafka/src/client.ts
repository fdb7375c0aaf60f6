import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { kafkajsLogCreator } from "./logging.ts";

export type { Kafka } from "kafkajs";

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs' own logging is noisy; default WARN (errors surface through our own logger). */
  readonly logLevel?: "nothing" | "error" | "warn" | "info" | "debug";
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** kafkajs' internal retry of a single request (not our cockatiel policy). */
  readonly retries?: number;
}

const LEVELS = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/** Parses `KAFKA_BROKERS` (comma-separated `host:port`). */
export const parseBrokers = (value: string): string[] =>
  value
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);

/** One client per process and purpose; producers, consumers and admins come from it. */
export function createKafka(options: KafkaClientOptions): Kafka {
  if (options.brokers.length === 0) throw new Error("kafka: no brokers given");
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: LEVELS[options.logLevel ?? "warn"],
    logCreator: kafkajsLogCreator,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  };
  return new Kafka(config);
}
