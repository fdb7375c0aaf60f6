// Naming ProvidedContext here also makes TypeScript 7 see the augmentations of it (the
// global setups' `declare module "vitest"`), which it otherwise misses for `inject` keys.
import { inject, type ProvidedContext } from "vitest";

/** The run's Kafka brokers (from the kafka global setup; see `withKafka` in vitest.shared.ts). */
export const kafkaBrokers = (): ProvidedContext["kafkaBrokers"] => inject("kafkaBrokers");
