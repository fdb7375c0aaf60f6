/**
 * Sums the vitest JSON reports of every package into the final `N passed, N failed[, N skipped]`
 * line. A package with a test script but no report (crashed before reporting) counts as a failure.
 */
import { readdir, readFile } from "node:fs/promises";

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

let passed = 0;
let failed = 0;
let skipped = 0;
const missing: string[] = [];
for (const group of ["packages", "devkit", "apps"]) {
  for (const name of await readdir(group).catch(() => [] as string[])) {
    const dir = `${group}/${name}`;
    const pkg = JSON.parse(await readFile(`${dir}/package.json`, "utf8").catch(() => "{}")) as { scripts?: Record<string, string> };
    if (!pkg.scripts?.test) continue;
    const report = await readFile(`${dir}/test-results.json`, "utf8").catch(() => null);
    if (report === null) {
      missing.push(dir);
      continue;
    }
    const r = JSON.parse(report) as VitestJson;
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    skipped += r.numPendingTests + r.numTodoTests;
  }
}
if (missing.length > 0) console.error(`no test report from: ${missing.join(", ")} (counted as failed)`);
failed += missing.length;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 ? 1 : 0;
