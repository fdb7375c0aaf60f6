export * from "./injector.ts";
export * from "./open-transaction.ts";
export * from "./plan.ts";
export * from "./prng.ts";
export * from "./run.ts";
export * from "./servers.ts";
