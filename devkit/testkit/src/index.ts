export * from "./fixtures.ts";
export * from "./jobs.ts";
export * from "./kafka.ts";
export * from "./orders.ts";
export * from "./test-database.ts";
