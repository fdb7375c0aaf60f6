import { mergeConfig } from "vitest/config";
import { plain } from "../../vitest.shared.ts";

// The first run fetches ~45 MB of jars with mvn; a broker start takes ~5 s.
export default mergeConfig(plain(), { test: { testTimeout: 120_000, hookTimeout: 300_000 } });
