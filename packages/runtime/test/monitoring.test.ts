import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "../src/metrics.ts";

/*
 * deploy/prometheus/alerts.yml and deploy/grafana/order-service.json name only metrics the apps
 * export; promtool checks and unit-tests the rules (Debian's `prometheus` package is installed
 * when promtool is absent; skipped with a message only where that is impossible).
 */

const root = new URL("../../../", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), "utf8");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "test") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** Names of every prom-client metric the apps and packages create, plus the default process metrics. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const top of ["apps", "packages"]) {
    for (const pkg of readdirSync(join(root, top))) {
      const src = join(root, top, pkg, "src");
      if (!statSync(join(root, top, pkg)).isDirectory()) continue;
      let files: string[] = [];
      try {
        files = sourceFiles(src);
      } catch {
        continue;
      }
      for (const file of files) {
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(
          /new prometheus\.(Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/g,
        )) {
          const [, kind, name] = m as unknown as [string, string, string];
          names.add(name);
          if (kind === "Histogram" || kind === "Summary") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
        }
      }
    }
  }
  return names;
}

/** The dashboard's templated data source (Grafana substitutes it; not a JS template). */
const DATASOURCE = ["$", "{datasource}"].join("");

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "le",
  "inf",
  "nan",
]);

/** Metric names a PromQL expression selects (label matchers, groupings, strings, durations and functions removed). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ");
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [token, call] = [m[0].replace(/\s*\($/, ""), m[1]];
    if (call || KEYWORDS.has(token.toLowerCase()) || /^\d/.test(token)) continue;
    names.push(token);
  }
  return names;
}

const defaults = async () => new Set((await createMetricsRegistry("t").getMetricsAsJSON()).map((m) => m.name));

describe("metric names of alerts and dashboard", () => {
  let known: Set<string>;
  beforeAll(async () => {
    known = new Set([...exportedMetrics(), ...(await defaults())]);
  });

  it("finds the apps' metrics in the code", () => {
    for (const name of [
      "relay_oldest_unpublished_age_seconds",
      "consumer_lag_records",
      "consumer_payment_circuit_state",
      "http_requests_total",
    ]) {
      expect(known.has(name), name).toBe(true);
    }
    expect(metricNamesIn('sum by (topic) (max by (topic, partition) (rate(consumer_lag_records{a="b"}[5m]))) > 1000')).toEqual([
      "consumer_lag_records",
    ]);
  });

  it("every alert rule selects only exported metrics, has a severity and a runbook entry in docs/operations.md", () => {
    const text = read("deploy/prometheus/alerts.yml");
    const operations = read("docs/operations.md").toLowerCase();
    const exprs = [...text.matchAll(/^\s+expr:\s*(.+)$/gm)].map((m) => m[1] as string);
    const alerts = [...text.matchAll(/^\s+- alert:\s*(\S+)$/gm)].map((m) => m[1] as string);
    expect(exprs.length).toBe(alerts.length);
    expect(alerts.length).toBeGreaterThan(8);
    const unknown = exprs.flatMap((e) => metricNamesIn(e)).filter((n) => !known.has(n));
    expect(unknown).toEqual([]);
    for (const runbook of text.matchAll(/runbook:\s*"docs\/operations\.md#([a-z0-9-]+)"/g)) {
      expect(operations, `runbook anchor ${runbook[1]}`).toContain(`### ${runbook[1]}`);
    }
    for (const alert of alerts) expect(operations, alert).toContain(`### ${alert.toLowerCase()}`);
  });

  it("the Grafana dashboard is valid JSON, every panel's PromQL names only exported metrics, the datasource is templated", () => {
    const dashboard = JSON.parse(read("deploy/grafana/order-service.json")) as {
      templating: { list: { name: string; type: string; query: string }[] };
      panels: { title: string; datasource: { uid: string }; targets: { expr: string; datasource: { uid: string } }[] }[];
    };
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe(DATASOURCE);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.datasource.uid, panel.title).toBe(DATASOURCE);
        const names = metricNamesIn(target.expr);
        expect(names.length, target.expr).toBeGreaterThan(0);
        expect(
          names.filter((n) => !known.has(n)),
          `${panel.title}: ${target.expr}`,
        ).toEqual([]);
      }
    }
  });
});

/** promtool on PATH, installing Debian's prometheus package when it is absent and we can. */
function ensurePromtool(): { ok: true } | { ok: false; why: string } {
  const has = () => spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).status === 0;
  if (has()) return { ok: true };
  if (process.getuid?.() !== 0)
    return { ok: false, why: "promtool is not installed and this test is not root (apt-get install -y prometheus)" };
  if (spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0)
    return { ok: false, why: "promtool is not installed and there is no apt-get" };
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update"], { encoding: "utf8", env, timeout: 300_000 });
  if (update.status !== 0) return { ok: false, why: `apt-get update failed (no network?): ${update.stderr.slice(-300)}` };
  const install = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "prometheus"], {
    encoding: "utf8",
    env,
    timeout: 600_000,
  });
  if (install.status !== 0) return { ok: false, why: `apt-get install prometheus failed: ${install.stderr.slice(-300)}` };
  return has() ? { ok: true } : { ok: false, why: "the prometheus package installed no promtool" };
}

describe("promtool", () => {
  let promtool: ReturnType<typeof ensurePromtool>;
  beforeAll(() => {
    promtool = ensurePromtool();
    if (!promtool.ok) console.warn(`SKIPPED promtool checks: ${promtool.why}`);
  }, 900_000);

  const run = (...args: string[]) =>
    spawnSync("promtool", args, { cwd: join(root, "deploy/prometheus"), encoding: "utf8", timeout: 60_000 });

  it("check rules accepts deploy/prometheus/alerts.yml", (ctx) => {
    if (!promtool.ok) return ctx.skip();
    const result = run("check", "rules", "alerts.yml");
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("SUCCESS");
  });

  it("test rules passes deploy/prometheus/alerts.test.yml (each alert fires when it should and only then)", (ctx) => {
    if (!promtool.ok) return ctx.skip();
    const result = run("test", "rules", "alerts.test.yml");
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const tested = new Set([...read("deploy/prometheus/alerts.test.yml").matchAll(/alertname:\s*(\S+)/g)].map((m) => m[1]));
    const alerts = [...read("deploy/prometheus/alerts.yml").matchAll(/- alert:\s*(\S+)/g)].map((m) => m[1]);
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });
});
