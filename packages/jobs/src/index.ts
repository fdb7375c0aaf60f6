export * from "./boss.ts";
export * from "./enqueue.ts";
export * from "./payment-client.ts";
export * from "./payment-jobs.ts";
export * from "./pending-deadline.ts";
export * from "./queues.ts";
export * from "./reconcile-payments.ts";
export * from "./workers.ts";
