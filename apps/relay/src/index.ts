export * from "./config.ts";
export * from "./wiring.ts";
