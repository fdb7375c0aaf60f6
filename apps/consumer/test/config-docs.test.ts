import { describeEnvDocumented } from "@orders/testkit/config-docs";
import { ConsumerEnvSchema } from "../src/config.ts";

/* Every variable apps/consumer reads is in .env.example and docs/configuration.md. */
describeEnvDocumented("consumer configuration documentation", Object.keys(ConsumerEnvSchema.entries));
