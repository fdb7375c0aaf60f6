import { context, trace } from "@opentelemetry/api";

/** `trace_id`/`span_id` of the active span, for log lines; empty when there is none. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpan(context.active())?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
