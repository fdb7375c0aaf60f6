export { createTopics, type TopicSpec } from "./admin.ts";
export {
  DEFAULT_KAFKA_VERSION,
  ensureKafkaClasspath,
  ensureKafkaToolsClasspath,
  kafkaBrokerArtifacts,
  kafkaToolsArtifacts,
} from "./artifacts.ts";
export { type LocalKafka, type StartKafkaOptions, startKafka } from "./broker.ts";
export { type Artifact, type Classpath, cacheRoot, ensureClasspath } from "./classpath.ts";
export {
  type KafkaClusterNode,
  type LocalKafkaCluster,
  type StartKafkaClusterOptions,
  startKafkaCluster,
} from "./cluster.ts";
export { findJava, type JavaRuntime } from "./java.ts";
// The JVM launcher pieces, shared with @orders/local-connect's Connect worker.
export { type JvmCommand, type RunningJvm, spawnJava, tail } from "./jvm.ts";
export { canBind, freePorts } from "./ports.ts";
export { guard } from "./process-guard.ts";
export { renderLog4j2File, renderProperties } from "./server-config.ts";
