import { describeEnvDocumented } from "@orders/testkit/config-docs";
import { RelayConfigSchema } from "../src/config.ts";

/* Every variable apps/relay reads is in .env.example and docs/configuration.md. */
describeEnvDocumented("relay configuration documentation", Object.keys(RelayConfigSchema.pipe[0].entries));
