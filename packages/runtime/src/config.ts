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

/**
 * `loadConfig` for a process entry point: on a bad environment, prints the one-line reason
 * (every offending variable) to stderr and exits 1 (DESIGN §8).
 */
export function loadConfigOrExit<S extends v.GenericSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): v.InferOutput<S> {
  try {
    return loadConfig(schema, env);
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
 * The bounds every pooled database session of an app gets (docs/configuration.md):
 * `DATABASE_STATEMENT_TIMEOUT_MS`, `DATABASE_LOCK_TIMEOUT_MS` and
 * `DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS`; 0 leaves the server's (or role's) setting.
 */
export const databaseSessionEnv = (defaults: { statementMs: number; lockMs: number; idleInTransactionMs: number }) => ({
  DATABASE_STATEMENT_TIMEOUT_MS: env.int(defaults.statementMs, 0, 3_600_000),
  DATABASE_LOCK_TIMEOUT_MS: env.int(defaults.lockMs, 0, 3_600_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: env.int(defaults.idleInTransactionMs, 0, 3_600_000),
});
