export * from "./chaos-emitter.ts";
export * from "./config.ts";
export * from "./scenario.ts";
