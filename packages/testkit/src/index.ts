export * from "./fixtures.ts";
export * from "./kafka.ts";
export * from "./orders.ts";
export * from "./test-database.ts";
