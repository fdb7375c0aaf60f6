import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/* The repository root, from devkit/testkit/src. */
const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/**
 * Declares a suite checking that every variable an app's config schema reads is named in
 * .env.example (as `KEY=` or `# KEY=`) and in docs/configuration.md (as `` `KEY` ``).
 */
export const describeEnvDocumented = (title: string, keys: readonly string[]): void => {
  describe(title, () => {
    it("names every variable of the config schema in .env.example", () => {
      const example = new Set([...read(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
      expect(keys.filter((k) => !example.has(k))).toEqual([]);
    });

    it("names every variable of the config schema in docs/configuration.md", () => {
      const docs = read("docs/configuration.md");
      expect(keys.filter((k) => !docs.includes(`\`${k}\``))).toEqual([]);
    });
  });
};
