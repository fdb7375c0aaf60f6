/**
 * OpenTelemetry for every process: W3C trace context always flows (propagator + async context
 * are registered even when nothing is exported, so a caller's `traceparent` still reaches every
 * record, job and answer), and spans are recorded and exported over OTLP/HTTP only when the
 * standard `OTEL_*` variables ask for it (docs/operations.md).
 */

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import {
  type Attributes,
  type Context,
  context,
  DiagLogLevel,
  diag,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { Sampler, SpanExporter } from "@opentelemetry/sdk-trace";
import { createLogger } from "./logger.ts";

type Sdk = typeof import("@opentelemetry/sdk-trace");
type Otlp = typeof import("@opentelemetry/exporter-trace-otlp-http");
type Instrumentation = typeof import("@opentelemetry/instrumentation");
type Pg = typeof import("@opentelemetry/instrumentation-pg");
type Undici = typeof import("@opentelemetry/instrumentation-undici");
type Resources = typeof import("@opentelemetry/resources");

const requireHere = createRequire(import.meta.url);
/**
 * The SDK, the OTLP exporter and the instrumentations are loaded on first use, synchronously
 * (startTracing runs before pg is imported), and only in a process that records spans: most run
 * with propagation alone and never pay for them (issue 17 item 4). `require` of the package's ESM
 * entry (what `import` resolves to) gives the module instance an `import` elsewhere gets, so a
 * test's InMemorySpanExporter and the SDK here are the same classes.
 */
const load = <T>(specifier: string): T => requireHere(fileURLToPath(import.meta.resolve(specifier))) as T;

export { type Context, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
export { activeTraceFields } from "./trace-fields.ts";

/** A carrier of W3C trace context: HTTP headers, Kafka record headers, pg-boss job data. */
export type TraceCarrier = Readonly<Record<string, string | null | undefined>>;

export interface Tracing {
  /** True when spans are recorded and exported (OTEL_* configured, or an exporter given). */
  readonly enabled: boolean;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME names one. */
  readonly service: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Tests: export here (synchronously, span by span) instead of OTLP. */
  readonly exporter?: SpanExporter;
  /** Where the SDK's own warnings go (default: stdout as log lines of `service`). */
  readonly write?: (line: string) => void;
}

let contextReady = false;
/** Async context and the W3C propagator: cheap, always on, idempotent (also set up on first use, for tests and tools that never call startTracing). */
function ensureContextPropagation(): void {
  if (contextReady) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  contextReady = true;
}

/**
 * The standard variables this project reads or hands to the OTLP exporter (every app and
 * simulator; documented in docs/configuration.md and .env.example, checked by a test).
 */
export const TRACING_ENV_VARS = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_TIMEOUT",
  "OTEL_EXPORTER_OTLP_COMPRESSION",
  "OTEL_TRACES_EXPORTER",
  "OTEL_SDK_DISABLED",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_TRACES_SAMPLER",
  "OTEL_TRACES_SAMPLER_ARG",
  "OTEL_BSP_SCHEDULE_DELAY",
  "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
  "OTEL_BSP_MAX_QUEUE_SIZE",
  "OTEL_BSP_EXPORT_TIMEOUT",
] as const;

/** Exporting is on when OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint is set, and not disabled. */
export function tracingRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === "none") return false;
  if (exporter === "otlp") return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (SDK 3 no longer reads them itself). */
export function samplerFromEnv(env: Readonly<Record<string, string | undefined>>): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || "parentbased_always_on";
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? "1");
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = load<Sdk>("@opentelemetry/sdk-trace");
  const root = (n: string): Sampler =>
    n.endsWith("always_off")
      ? new AlwaysOffSampler()
      : n.endsWith("traceidratio")
        ? new TraceIdRatioBasedSampler(ratio)
        : new AlwaysOnSampler();
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root: root(name) }) : root(name);
}

/** The traces URL from `env` (the exporter itself would read process.env only); headers, timeout and compression it reads itself. */
const otlpUrl = (env: Readonly<Record<string, string | undefined>>): { url?: string } => {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return { url: traces };
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? { url: `${base.replace(/\/+$/, "")}/v1/traces` } : {};
};

/** OTEL_BSP_* (SDK 3 no longer reads them): delay between exports, batch and queue sizes, export timeout. */
const batchOptions = (env: Readonly<Record<string, string | undefined>>) => {
  const int = (name: string) => {
    const n = Number(env[name]);
    return env[name]?.trim() && Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const out: { scheduledDelayMillis?: number; maxExportBatchSize?: number; maxQueueSize?: number; exportTimeoutMillis?: number } = {};
  const delay = int("OTEL_BSP_SCHEDULE_DELAY");
  const batch = int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE");
  const queue = int("OTEL_BSP_MAX_QUEUE_SIZE");
  const timeout = int("OTEL_BSP_EXPORT_TIMEOUT");
  if (delay) out.scheduledDelayMillis = delay;
  if (batch) out.maxExportBatchSize = batch;
  if (queue) out.maxQueueSize = queue;
  if (timeout) out.exportTimeoutMillis = timeout;
  return out;
};

/** OTEL_RESOURCE_ATTRIBUTES (`key=value,…`, values percent-encoded) from `env`. */
const resourceAttributes = (env: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // A malformed pair is skipped, as the specification asks.
    }
  }
  return out;
};

const parseJsonObject = (text: string): Record<string, unknown> | null => {
  if (!text.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

let active: Tracing | null = null;

/**
 * Starts tracing for this process (once; later calls return the first). Without OTEL_* (and
 * without `exporter`) only context propagation runs: no span is recorded, nothing is sent.
 */
export function startTracing(options: TracingOptions): Tracing {
  ensureContextPropagation();
  if (active) return active;
  const env = options.env ?? process.env;
  if (!options.exporter && !tracingRequested(env)) {
    active = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };
    return active;
  }
  const { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } = load<Sdk>("@opentelemetry/sdk-trace");
  const { resourceFromAttributes } = load<Resources>("@opentelemetry/resources");
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new BatchSpanProcessor({
        exporter: new (load<Otlp>("@opentelemetry/exporter-trace-otlp-http").OTLPTraceExporter)(otlpUrl(env)),
        ...batchOptions(env),
      });
  const provider = new TracerProvider({
    // OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES' service.name, which wins over the built-in name.
    resource: resourceFromAttributes({
      "service.name": options.service,
      ...resourceAttributes(env),
      ...(env.OTEL_SERVICE_NAME?.trim() ? { "service.name": env.OTEL_SERVICE_NAME.trim() } : {}),
    }),
    sampler: samplerFromEnv(env),
    spanProcessors: [processor],
  });
  trace.setGlobalTracerProvider(provider);
  // The SDK's own warnings and errors (an export the collector refused or never answered) become
  // log lines of this process, so missing traces show up in the logs.
  const sdkLog = createLogger({ service: options.service, level: "warn", ...(options.write ? { write: options.write } : {}) }).child({
    component: "opentelemetry",
  });
  const detail = (args: unknown[]) =>
    args.length === 0 ? undefined : { detail: args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ") };
  diag.setLogger(
    {
      error: (msg, ...args) => {
        // The SDK's error handler passes exceptions as JSON text: log their message, keep the rest as `err`.
        const parsed = parseJsonObject(msg);
        if (parsed && typeof parsed.message === "string") sdkLog.error(parsed.message, { err: parsed, ...detail(args) });
        else sdkLog.error(msg, detail(args));
      },
      warn: (msg, ...args) => sdkLog.warn(msg, detail(args)),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  // Outgoing fetch (inventory check, payment calls) gets a client span and a traceparent header;
  // pg queries get spans where the pg module is patched (see docs/operations.md).
  const { registerInstrumentations } = load<Instrumentation>("@opentelemetry/instrumentation");
  const { PgInstrumentation } = load<Pg>("@opentelemetry/instrumentation-pg");
  const { UndiciInstrumentation } = load<Undici>("@opentelemetry/instrumentation-undici");
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new UndiciInstrumentation(), new PgInstrumentation({ requireParentSpan: true })],
  });
  active = {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
  return active;
}

const tracer = () => trace.getTracer("@orders/runtime");

/** The W3C `traceparent` of `ctx` (default: the active context), or null when there is none. */
export function traceparentOf(ctx?: Context): string | null {
  ensureContextPropagation();
  const carrier: Record<string, string> = {};
  propagation.inject(ctx ?? context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a carrier (headers, job data) names; the root context when it names none. */
export function contextFrom(carrier: TraceCarrier | null | undefined): Context {
  ensureContextPropagation();
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    get: (c, key) => c[key] ?? undefined,
    keys: (c) => Object.keys(c),
  });
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  /** Parent: a carrier (record headers, job data) or a context; default the active context. */
  readonly parent?: TraceCarrier | Context | null;
  readonly attributes?: Attributes;
  readonly links?: Link[];
}

const isContext = (x: unknown): x is Context => typeof (x as Context | null)?.getValue === "function";

/**
 * Runs `fn` in a new active span (a child of `parent`), ends it, and marks it failed when `fn`
 * throws. Without a recording provider the span is the parent's non-recording stand-in, so the
 * parent's context still flows into whatever `fn` writes.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const { span, context: active } = startSpan(name, options);
  try {
    return await context.with(active, () => fn(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Starts a span without activating it (one span per record of a batch, ended by the caller). */
export function startSpan(name: string, options: SpanOptions): { span: Span; context: Context } {
  ensureContextPropagation();
  const parent = options.parent === undefined ? context.active() : isContext(options.parent) ? options.parent : contextFrom(options.parent);
  const span = tracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.links ? { links: options.links } : {}),
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` active. */
export const withContext = <T>(ctx: Context, fn: () => T): T => context.with(ctx, fn);
