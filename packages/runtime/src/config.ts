import { AppError, toFieldIssues } from "@orders/domain";
import * as v from "valibot";

/**
 * Environment parsing at start-up. Each app declares one valibot object schema of its variables;
 * a bad or missing one stops the process with a message naming every offending variable.
 */
export function loadConfig<S extends v.GenericSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): v.InferOutput<S> {
  const result = v.safeParse(schema, env, { abortEarly: false });
  if (result.success) return result.output;
  const problems = toFieldIssues(result.issues).map((i) => `${i.pointer.slice(1)}: ${i.detail}`);
  throw new AppError("CONFIG_INVALID", `invalid configuration — ${problems.join("; ")}`, { issues: toFieldIssues(result.issues) });
}

export interface StartConfigOptions {
  /**
   * Old variable name → its current name. The old one is still read when the current one is
   * unset, and start-up prints one warning line per old name in use (docs/configuration.md).
   */
  readonly deprecated?: Readonly<Record<string, string>>;
  /** Variables the process cannot run without, though the schema lets tests leave them out. */
  readonly required?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** `env` with each deprecated name copied to its current name (unless that is set), and what was copied. */
export function applyDeprecatedNames(
  env: NodeJS.ProcessEnv,
  deprecated: Readonly<Record<string, string>>,
): { env: NodeJS.ProcessEnv; warnings: string[] } {
  const out = { ...env };
  const warnings: string[] = [];
  for (const [old, current] of Object.entries(deprecated)) {
    if (env[old] === undefined) continue;
    if (env[current] === undefined) out[current] = env[old];
    warnings.push(
      env[current] === undefined ? `${old} is deprecated: rename it to ${current}` : `${old} is deprecated and ignored: ${current} is set`,
    );
  }
  return { env: out, warnings };
}

/**
 * `loadConfig` for a process entry point: on a bad environment (or a `required` variable
 * missing), prints the one-line reason (every offending variable) to stderr and exits 1
 * (DESIGN §8). Deprecated names are accepted with a one-line warning each.
 */
export function loadConfigOrExit<S extends v.GenericSchema>(schema: S, options: StartConfigOptions = {}): v.InferOutput<S> {
  const { env, warnings } = applyDeprecatedNames(options.env ?? process.env, options.deprecated ?? {});
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  try {
    const config = loadConfig(schema, env);
    const missing = (options.required ?? []).filter((name) => (config as Record<string, unknown>)[name] === undefined);
    if (missing.length > 0) throw new Error(`invalid configuration — ${missing.map((name) => `${name}: required`).join("; ")}`);
    return config;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** Reusable env field builders: strings in, typed values out. */
export const env = {
  string: (fallback?: string) =>
    fallback === undefined ? v.pipe(v.string(), v.minLength(1)) : v.optional(v.pipe(v.string(), v.minLength(1)), fallback),
  optionalString: () => v.optional(v.pipe(v.string(), v.minLength(1))),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    v.optional(
      v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(min), v.maxValue(max)),
      String(fallback),
    ),
  bool: (fallback: boolean) =>
    v.optional(
      v.pipe(
        v.picklist(["true", "false", "1", "0"], "must be true or false"),
        v.transform((s) => s === "true" || s === "1"),
      ),
      fallback ? "true" : "false",
    ),
  url: (fallback?: string) =>
    fallback === undefined ? v.pipe(v.string(), v.url("must be a URL")) : v.optional(v.pipe(v.string(), v.url("must be a URL")), fallback),
  list: (fallback?: string) =>
    v.pipe(
      fallback === undefined ? v.string() : v.optional(v.string(), fallback),
      v.transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ),
  logLevel: () => v.optional(v.picklist(["debug", "info", "warn", "error", "silent"]), "info"),
};

/**
 * What every worker app (consumer, projector) reads about its process: the ops server's
 * `METRICS_PORT` (default per app) and `HOST` (loopback by default), `LOG_LEVEL` and
 * `SHUTDOWN_TIMEOUT_MS` (docs/configuration.md).
 */
export const workerProcessEnv = (defaults: { metricsPort: number }) => ({
  METRICS_PORT: env.int(defaults.metricsPort, 0, 65_535),
  HOST: env.string("127.0.0.1"),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(20_000, 0, 600_000),
});

/**
 * The bounds every pooled database session of an app gets (docs/configuration.md):
 * `DATABASE_STATEMENT_TIMEOUT_MS`, `DATABASE_LOCK_TIMEOUT_MS` and
 * `DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS`; 0 leaves the server's (or role's) setting.
 */
export const databaseSessionEnv = (defaults: { statementMs: number; lockMs: number; idleInTransactionMs: number }) => ({
  DATABASE_STATEMENT_TIMEOUT_MS: env.int(defaults.statementMs, 0, 3_600_000),
  DATABASE_LOCK_TIMEOUT_MS: env.int(defaults.lockMs, 0, 3_600_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: env.int(defaults.idleInTransactionMs, 0, 3_600_000),
});
