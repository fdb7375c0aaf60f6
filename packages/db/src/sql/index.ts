export * as audit from "./audit.ts";
export * from "./idempotency.ts";
export * from "./lifecycle.ts";
export * from "./orders.ts";
export * from "./outbox.ts";
export * from "./processed-messages.ts";
export type { Query } from "./query.ts";
export * from "./reconciliation.ts";
export * from "./replication.ts";
