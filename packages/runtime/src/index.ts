export * from "./announce.ts";
export * from "./config.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./progress.ts";
export * from "./readiness.ts";
export * from "./resilience.ts";
export * from "./shutdown.ts";
