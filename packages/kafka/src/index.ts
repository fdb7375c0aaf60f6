export * from "./client.ts";
export * from "./cloudevents.ts";
export * from "./producer.ts";
export * from "./topics.ts";
