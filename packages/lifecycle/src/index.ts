// The writer and the saga's jobs; the consumer's chunk handler (Kafka) is `@orders/lifecycle/consumer`.
export * from "./apply-events.ts";
export * from "./consumer/traced-jobs.ts";
export * from "./follow-ups.ts";
export * from "./jobs/boss.ts";
export * from "./jobs/metrics.ts";
export * from "./jobs/payment-action-expiry.ts";
export * from "./jobs/payment-client.ts";
export * from "./jobs/payment-jobs.ts";
export * from "./jobs/pending-deadline.ts";
export * from "./jobs/processed-messages-retention.ts";
export * from "./jobs/reconcile-payments.ts";
export * from "./jobs/workers.ts";
