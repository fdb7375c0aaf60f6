import { topicEnvEntries } from "@orders/kafka";
import { env } from "@orders/runtime";
import * as v from "valibot";
import type { ChaosSettings } from "./chaos-emitter.ts";

const rate = (fallback: string) =>
  v.optional(v.pipe(v.string(), v.transform(Number), v.number("must be a number"), v.minValue(0), v.maxValue(1)), fallback);

/** Environment shared by the Kafka side of every simulator (docs/configuration.md). */
export const SimulatorKafkaEnv = {
  KAFKA_BROKERS: env.list(),
  ...topicEnvEntries,
  SIM_CHAOS: env.bool(false),
  SIM_DUPLICATE_RATE: rate("0.1"),
  SIM_REORDER_WINDOW_MS: env.int(200, 0, 60_000),
  LOG_LEVEL: env.logLevel(),
};

export const rateEnv = rate;

export const chaosFrom = (e: { SIM_CHAOS: boolean; SIM_DUPLICATE_RATE: number; SIM_REORDER_WINDOW_MS: number }): ChaosSettings => ({
  enabled: e.SIM_CHAOS,
  duplicateRate: e.SIM_DUPLICATE_RATE,
  reorderWindowMs: e.SIM_REORDER_WINDOW_MS,
});
