import { buildCallPolicy, type CallPolicyOptions } from "@orders/runtime";
import type { ApiConfig } from "./config.ts";

/** Every resilience number of the API in one place; tests pass tighter ones to buildApp. */
export const inventoryPolicyOptions = (config: ApiConfig): CallPolicyOptions => ({
  timeoutMs: config.INVENTORY_TIMEOUT_MS,
  retries: config.INVENTORY_RETRIES,
  initialDelayMs: config.INVENTORY_RETRY_DELAY_MS,
  maxDelayMs: config.INVENTORY_RETRY_MAX_DELAY_MS,
  breakerThreshold: config.INVENTORY_BREAKER_THRESHOLD,
  halfOpenAfterMs: config.INVENTORY_BREAKER_HALF_OPEN_MS,
});

export const buildInventoryPolicy = (options: CallPolicyOptions) => buildCallPolicy(options);
