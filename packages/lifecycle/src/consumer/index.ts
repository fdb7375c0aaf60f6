/**
 * `@orders/lifecycle/consumer`: the consumer's chunk handler and its metrics, the one part of the
 * lifecycle that reads Kafka records (it imports @orders/kafka). The package's root export (the
 * writer, the saga's jobs) does not, so the API loads no Kafka client (issue 17 item 4).
 */
export * from "./chunk-handler.ts";
export * from "./metrics.ts";
