export * from "./chaos-emitter.ts";
export * from "./config.ts";
export * from "./kafka-side.ts";
export * from "./scenario.ts";
