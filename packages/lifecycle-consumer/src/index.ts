export * from "./handler.ts";
export * from "./metrics.ts";
export * from "./service.ts";
