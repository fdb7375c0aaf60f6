import { type Artifact, type Classpath, DEFAULT_KAFKA_VERSION, ensureClasspath } from "@orders/local-kafka";

/**
 * Debezium 3.7 is built against Kafka Connect 4.3 and for Java 17 (class major 61, checked on
 * every jar); Connect's plugin API is stable across 4.x, so it runs in a 4.4 worker — the
 * parity tests prove it on every run. See docs/debezium.md.
 */
export const DEFAULT_DEBEZIUM_VERSION = "3.7.0.Final";

/** The Connect worker runs the same Kafka version as the broker local-kafka starts. */
export function connectVersion(version?: string): string {
  return version ?? process.env.LOCAL_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
}

export function debeziumVersion(version?: string): string {
  return version ?? process.env.LOCAL_DEBEZIUM_VERSION ?? DEFAULT_DEBEZIUM_VERSION;
}

/**
 * The distributed worker (`ConnectDistributed`), the JSON converter and Kafka's built-in
 * transforms/predicates (DropHeaders, Filter, TopicNameMatches). Connect logs through slf4j
 * 1.7; the slf4j→log4j2 binding (with log4j-core) is only in Kafka's tarball, not its POM.
 */
export function connectArtifacts(version: string): Artifact[] {
  const kafka = (artifactId: string): Artifact => ({ groupId: "org.apache.kafka", artifactId, version });
  return [
    kafka("connect-runtime"),
    kafka("connect-json"),
    kafka("connect-transforms"),
    { groupId: "org.apache.logging.log4j", artifactId: "log4j-slf4j-impl", version: "2.25.5" },
  ];
}

/**
 * The Debezium PostgreSQL connector and the outbox EventRouter (debezium-connect-plugins), as
 * one Connect plugin. Kafka's own jars are excluded: the worker provides the Connect API and
 * clients to every plugin, and a second copy in the plugin directory would only shadow them.
 */
export function debeziumPostgresArtifacts(version: string): Artifact[] {
  return [
    {
      groupId: "io.debezium",
      artifactId: "debezium-connector-postgres",
      version,
      exclusions: ["org.apache.kafka:*", "org.slf4j:*"],
    },
  ];
}

export function ensureConnectClasspath(version?: string): Promise<Classpath> {
  const v = connectVersion(version);
  return ensureClasspath(`connect-${v}`, connectArtifacts(v));
}

export function ensureDebeziumPostgres(version?: string): Promise<Classpath> {
  const v = debeziumVersion(version);
  return ensureClasspath(`debezium-postgres-${v}`, debeziumPostgresArtifacts(v));
}
