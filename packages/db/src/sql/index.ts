export * from "./history.ts";
export * from "./orders.ts";
export * from "./outbox.ts";
export type { Query } from "./query.ts";
