export * from "./idempotency-repository.ts";
export * from "./lifecycle-repository.ts";
export * from "./migrate.ts";
export * from "./orders-repository.ts";
export * from "./outbox-repository.ts";
export * from "./pg-errors.ts";
export * from "./pool.ts";
export * as sql from "./sql/index.ts";
export * from "./transaction.ts";
