import { type Artifact, type Classpath, ensureClasspath } from "./classpath.ts";

/**
 * The newest Kafka on Maven Central whose jars are all Java 17 bytecode (class major ≤ 61).
 * See docs/kafka.md for how that was checked.
 */
export const DEFAULT_KAFKA_VERSION = "4.4.0";

/**
 * Kafka logs through slf4j 1.7 and ships log4j2, but the slf4j→log4j2 binding is only in the
 * release tarball, not in the POM; without it the broker logs nothing at all. Keep the binding
 * at the log4j version the Kafka POM brings in.
 */
const LOG4J_FOR_KAFKA: Record<string, string> = {
  "4.4.0": "2.25.5",
};
const DEFAULT_LOG4J = "2.25.5";

export function kafkaVersion(version?: string): string {
  return version ?? process.env.LOCAL_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
}

function log4jBinding(version: string): Artifact {
  return {
    groupId: "org.apache.logging.log4j",
    artifactId: "log4j-slf4j-impl",
    version: LOG4J_FOR_KAFKA[version] ?? DEFAULT_LOG4J,
    // Let Kafka's own log4j-api/log4j-core versions win.
    exclusions: ["org.apache.logging.log4j:log4j-api", "org.apache.logging.log4j:log4j-core"],
  };
}

/** The broker (`kafka.Kafka`) and the storage tool (`kafka.tools.StorageTool`). */
export function kafkaBrokerArtifacts(version: string): Artifact[] {
  return [{ groupId: "org.apache.kafka", artifactId: "kafka_2.13", version }, log4jBinding(version)];
}

/** Command-line tools, e.g. `org.apache.kafka.tools.ProducerPerformance` for benchmarks. */
export function kafkaToolsArtifacts(version: string): Artifact[] {
  return [{ groupId: "org.apache.kafka", artifactId: "kafka-tools", version }, log4jBinding(version)];
}

/** Jars for the broker, cached in `<cache>/order-service/kafka-<version>/`. */
export function ensureKafkaClasspath(version?: string): Promise<Classpath> {
  const v = kafkaVersion(version);
  return ensureClasspath(`kafka-${v}`, kafkaBrokerArtifacts(v));
}

/** Jars for Kafka's command-line tools, cached in `<cache>/order-service/kafka-tools-<version>/`. */
export function ensureKafkaToolsClasspath(version?: string): Promise<Classpath> {
  const v = kafkaVersion(version);
  return ensureClasspath(`kafka-tools-${v}`, kafkaToolsArtifacts(v));
}
