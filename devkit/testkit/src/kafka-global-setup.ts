import { startKafka } from "@orders/local-kafka";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** kafkajs `brokers` of the run's broker: $KAFKA_BROKERS or a throw-away local one. */
    kafkaBrokers: string[];
  }
}

/**
 * vitest globalSetup: a real Apache Kafka broker for the whole run — $KAFKA_BROKERS when set
 * (comma-separated; tests create their own uniquely named topics there), otherwise a
 * single-node KRaft broker started from the official jars and removed afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = (process.env.KAFKA_BROKERS ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  if (fromEnv.length > 0) {
    project.provide("kafkaBrokers", fromEnv);
    return async () => {};
  }
  // Tests create topics with explicit partition counts; 3 is the default for the rest.
  const kafka = await startKafka({ partitions: 3 });
  project.provide("kafkaBrokers", kafka.brokers);
  return () => kafka.stop();
}
