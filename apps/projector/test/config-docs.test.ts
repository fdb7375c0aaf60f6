import { describeEnvDocumented } from "@orders/testkit/config-docs";
import { ProjectorEnvSchema } from "../src/config.ts";

/* Every variable apps/projector reads is documented in .env.example and docs/configuration.md. */
describeEnvDocumented("projector configuration documentation", Object.keys(ProjectorEnvSchema.entries));
