export * from "./client.ts";
export * from "./cloudevents.ts";
export * from "./consumer.ts";
export * from "./dead-letter.ts";
export * from "./producer.ts";
export * from "./record-sender.ts";
export * from "./topic-reader.ts";
export * from "./topics.ts";
