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
export { findJava, type JavaRuntime } from "./java.ts";
