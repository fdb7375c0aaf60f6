import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConsumerEnvSchema } from "../src/config.ts";

/* Every variable apps/consumer reads is in .env.example and docs/configuration.md. */
const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("consumer configuration documentation", () => {
  const keys = Object.keys(ConsumerEnvSchema.entries);

  it("names every variable of the config schema in .env.example", () => {
    const example = new Set([...read(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(keys.filter((k) => !example.has(k))).toEqual([]);
  });

  it("names every variable of the config schema in docs/configuration.md", () => {
    const docs = read("docs/configuration.md");
    expect(keys.filter((k) => !docs.includes(`\`${k}\``))).toEqual([]);
  });
});
