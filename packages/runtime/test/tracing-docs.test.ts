import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TRACING_ENV_VARS } from "../src/index.ts";

// Same rule as the apps' config-docs tests (devkit/testkit describeEnvDocumented), for the OTEL_*
// variables every process reads through startTracing; runtime cannot depend on the test kit.
const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");

describe("tracing variables are documented", () => {
  it("names every OTEL_* variable in .env.example and docs/configuration.md", () => {
    const example = new Set([...read(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const docs = read("docs/configuration.md");
    expect(TRACING_ENV_VARS.filter((k) => !example.has(k))).toEqual([]);
    expect(TRACING_ENV_VARS.filter((k) => !docs.includes(`\`${k}\``))).toEqual([]);
  });
});
