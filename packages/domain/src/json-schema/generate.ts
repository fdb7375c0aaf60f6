/**
 * Writes the JSON Schema of every HTTP body and Kafka payload to packages/domain/schemas/,
 * generated from the valibot schemas that validate them (one source of truth).
 * `--check` fails instead of writing when a checked-in file is stale (run by `build`).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { allJsonSchemas } from "./to-json-schema.ts";

const outDir = fileURLToPath(new URL("../../schemas/", import.meta.url));
const check = process.argv.includes("--check");
const stale: string[] = [];

await mkdir(outDir, { recursive: true });
for (const [name, schema] of Object.entries(allJsonSchemas())) {
  const file = `${outDir}${name}.json`;
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  const current = await readFile(file, "utf8").catch(() => "");
  if (current === text) continue;
  if (check) stale.push(name);
  else await writeFile(file, text);
}
if (stale.length > 0) {
  console.error(`stale JSON Schemas (run npm run generate:schemas -w @orders/domain): ${stale.join(", ")}`);
  process.exitCode = 1;
}
