import { describeEnvDocumented } from "@orders/testkit/config-docs";
import { ApiConfigSchema } from "../src/config.ts";

/* Every variable apps/api reads is documented in .env.example and docs/configuration.md
   (DATABASE_*_TIMEOUT_MS one by one; every other key as `KEY`). */
describeEnvDocumented("API configuration documentation", Object.keys(ApiConfigSchema.pipe[0].entries));
