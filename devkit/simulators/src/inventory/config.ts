import { env } from "@orders/runtime";
import * as v from "valibot";
import { FAULT_MODES, FaultInjector } from "./faults.ts";

/** Environment of the inventory simulator's HTTP server (docs/configuration.md). */
export const InventorySimulatorConfigSchema = v.object({
  PORT: env.int(4001, 0, 65_535),
  HOST: env.string("127.0.0.1"),
  INVENTORY_CURRENCY: v.optional(v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, "must be an ISO 4217 code")), "INR"),
  INVENTORY_MODE: v.optional(v.picklist(FAULT_MODES), "up"),
  INVENTORY_FAILURE_RATE: v.optional(
    v.pipe(v.string(), v.transform(Number), v.number("must be a number"), v.minValue(0), v.maxValue(1)),
    "0",
  ),
  INVENTORY_LATENCY_MS: env.int(0, 0, 600_000),
  INVENTORY_FLAP_EVERY: env.int(1, 1),
  LOG_LEVEL: env.logLevel(),
});

export type InventorySimulatorConfig = v.InferOutput<typeof InventorySimulatorConfigSchema>;

/** The fault injector with the start-up values of the environment. */
export function faultsFrom(config: InventorySimulatorConfig): FaultInjector {
  return new FaultInjector({
    mode: config.INVENTORY_MODE,
    failureRate: config.INVENTORY_FAILURE_RATE,
    latencyMs: config.INVENTORY_LATENCY_MS,
    flapEvery: config.INVENTORY_FLAP_EVERY,
  });
}
