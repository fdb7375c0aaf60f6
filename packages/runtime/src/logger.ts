/**
 * One log shape for every app and library: pino JSON lines on stdout,
 * `{ level, time, service, trace_id?, span_id?, ...bound, ...fields, msg }` — `level` as a word,
 * `time` ISO-8601, `trace_id`/`span_id` whenever a span is active (docs/operations.md).
 * The interface stays small (levels, child loggers with bound fields, errors serialised wherever
 * they appear) so that code never depends on pino itself.
 */
import { pino } from "pino";
import { activeTraceFields } from "./trace-fields.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const extra = error as Error & { code?: unknown; retriable?: unknown };
  if (extra.code !== undefined) out.code = extra.code;
  if (extra.retriable !== undefined) out.retriable = extra.retriable;
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}

/** Errors become plain objects under whatever key they are logged (not only `err`). */
const withErrors = (fields: Record<string, unknown> | undefined): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(fields ?? {})) out[k] = val instanceof Error ? serializeError(val) : val;
  return out;
};

const wrap = (base: pino.Logger): Logger => ({
  debug: (msg, fields) => base.debug(withErrors(fields), msg),
  info: (msg, fields) => base.info(withErrors(fields), msg),
  warn: (msg, fields) => base.warn(withErrors(fields), msg),
  error: (msg, fields) => base.error(withErrors(fields), msg),
  child: (fields) => wrap(base.child(withErrors(fields))),
});

export function createLogger(
  options: { service: string; level?: LogLevel; write?: (line: string) => void },
  bound: Record<string, unknown> = {},
): Logger {
  const write = options.write;
  const destination: pino.DestinationStream = write ? { write: (line: string) => write(line) } : process.stdout;
  const base = pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: activeTraceFields,
      // Errors are already plain objects (serializeError keeps `cause` as a nested object).
      serializers: { err: (value: unknown) => value },
    },
    destination,
  );
  return wrap(Object.keys(bound).length > 0 ? base.child(withErrors(bound)) : base);
}
