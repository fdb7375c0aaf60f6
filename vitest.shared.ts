import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings for every package: real PostgreSQL through the testkit's global setup,
 * a JSON report per package that .ci/run sums into one `N passed, N failed` line.
 */
export const withDatabase = (options: { timeoutMs?: number } = {}) =>
  defineConfig({
    test: {
      globalSetup: [new URL("./devkit/testkit/src/global-setup.ts", import.meta.url).pathname],
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: 120_000,
      reporters: ["default", ["json", { outputFile: "test-results.json" }]],
    },
  });

/**
 * withDatabase plus a real Kafka broker ($KAFKA_BROKERS or a throw-away local one);
 * test files read it with `kafkaBrokers()` from @orders/testkit.
 */
export const withKafka = (options: { timeoutMs?: number } = {}) =>
  defineConfig({
    test: {
      globalSetup: [
        new URL("./devkit/testkit/src/global-setup.ts", import.meta.url).pathname,
        new URL("./devkit/testkit/src/kafka-global-setup.ts", import.meta.url).pathname,
      ],
      testTimeout: options.timeoutMs ?? 60_000,
      hookTimeout: 300_000,
      reporters: ["default", ["json", { outputFile: "test-results.json" }]],
    },
  });

export const plain = (options: { timeoutMs?: number } = {}) =>
  defineConfig({
    test: {
      testTimeout: options.timeoutMs ?? 5_000,
      hookTimeout: 60_000,
      reporters: ["default", ["json", { outputFile: "test-results.json" }]],
    },
  });
