import { env, loadConfig } from "@orders/runtime";
import * as v from "valibot";

/** Who publishes the outbox: the relay app (default) or Kafka Connect with the Debezium outbox connector. */
export const OUTBOX_MODES = ["relay", "debezium"] as const;
export type OutboxMode = (typeof OUTBOX_MODES)[number];

/** The environment the local stack reads (the demo, e2e tests). */
export const StackEnvSchema = v.object({
  OUTBOX_MODE: v.optional(v.picklist(OUTBOX_MODES, `must be one of ${OUTBOX_MODES.join(", ")}`), "relay"),
  LOG_LEVEL: env.logLevel(),
});
export type StackEnv = v.InferOutput<typeof StackEnvSchema>;

/** Validates the stack's variables; throws AppError CONFIG_INVALID naming each bad one. */
export function loadStackEnv(source: NodeJS.ProcessEnv = process.env): StackEnv {
  return loadConfig(StackEnvSchema, source);
}
