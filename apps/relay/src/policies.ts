import { classifyPublishError } from "@orders/kafka";
import { buildCallPolicy } from "@orders/runtime";
import type { RelayConfig } from "./config.ts";

/**
 * The producer's policy, built in one place: per-send timeout → retry with exponential
 * backoff (transient failures only: a record the broker refuses is isolated instead) →
 * circuit breaker (while open the relay claims nothing).
 */
export const publishPolicy = (c: RelayConfig) =>
  buildCallPolicy(
    {
      timeoutMs: c.RELAY_SEND_TIMEOUT_MS,
      retries: c.RELAY_SEND_RETRIES,
      initialDelayMs: c.RELAY_RETRY_DELAY_MS,
      maxDelayMs: c.RELAY_RETRY_MAX_DELAY_MS,
      breakerThreshold: c.RELAY_BREAKER_THRESHOLD,
      halfOpenAfterMs: c.RELAY_BREAKER_HALF_OPEN_MS,
    },
    (error) => classifyPublishError(error) === "transient",
  );
