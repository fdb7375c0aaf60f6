/**
 * bench/scale/import-cost.ts (`node bench/scale/import-cost.ts`): what loading each package
 * costs in resident memory (issue 17 item 4). One fresh Node process (a JavaScript entry, so
 * nothing TypeScript is loaded before the first package) imports the packages below one after
 * the other, with a full GC after each, and prints the growth of VmRSS and of V8's used heap
 * per import: each figure is what the package adds to those before it. Run twice: the compile
 * cache cold (Node's TypeScript stripper is instantiated by the first .ts file) and warm (as an
 * app's node-options and the image's build have it).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "@orders/stack";
import { loadAverage } from "../lib/cpu.ts";

const SPECIFIERS = [
  "valibot",
  "@orders/domain",
  "pg",
  "@orders/db",
  "@opentelemetry/api",
  "prom-client",
  "pino",
  "pg-boss",
  "@orders/runtime",
  "hono",
  "@hono/node-server",
  "@orders/lifecycle",
  "kafkajs",
  "@orders/kafka",
  "@orders/lifecycle/consumer",
  "@orders/outbox-relay",
  "@opentelemetry/sdk-trace",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/instrumentation-pg",
  "@platformatic/kafka",
];

const child = `
import { readFileSync } from "node:fs";
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
const heap = () => process.memoryUsage().heapUsed / 1048576;
globalThis.gc();
let r = rss(), h = heap();
console.log(\`  node alone: RSS \${r.toFixed(1)} MB, heap used \${h.toFixed(1)} MB\`);
for (const spec of ${JSON.stringify(SPECIFIERS)}) {
  await import(spec);
  globalThis.gc();
  const r2 = rss(), h2 = heap();
  console.log(\`  + \${spec.padEnd(42)} RSS +\${(r2 - r).toFixed(1).padStart(5)} MB, heap +\${(h2 - h).toFixed(1).padStart(4)} MB (RSS \${r2.toFixed(1)})\`);
  r = r2; h = h2;
}`;

const cache = mkdtempSync(join(tmpdir(), "import-cost-"));
const run = (label: string) => {
  process.stdout.write(`${label}\n`);
  const out = spawnSync(
    process.execPath,
    ["--expose-gc", "--import=@orders/runtime/compile-cache", "--max-semi-space-size=4", "--input-type=module", "-e", child],
    { cwd: REPO_ROOT, env: { ...process.env, NODE_COMPILE_CACHE: cache }, encoding: "utf8" },
  );
  process.stdout.write(out.stdout + out.stderr);
};
run("compile cache cold (first run):");
run("compile cache warm (second run, same flags):");
rmSync(cache, { recursive: true, force: true });
process.stdout.write(`load average ${loadAverage()}\n`);
