import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { createLogger, inSpan, SpanKind, startTracing, traceparentOf, tracingRequested } from "../src/index.ts";

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ service: "runtime-test", exporter });
const incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("tracing", () => {
  it("is requested by the standard OTEL_* variables only", () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp" })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(false);
  });

  it("continues a carrier's trace in a child span and hands its own context on", async () => {
    expect(tracing.enabled).toBe(true);
    const inner = await inSpan("relay send", { kind: SpanKind.PRODUCER, parent: { traceparent: incoming } }, async () => traceparentOf());
    const [span] = exporter.getFinishedSpans().filter((s) => s.name === "relay send");
    expect(span?.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(span?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(inner).toBe(`00-0af7651916cd43dd8448eb211c80319c-${span?.spanContext().spanId}-01`);
  });

  it("puts trace_id and span_id on every log line written inside a span, and none outside", async () => {
    const lines: string[] = [];
    const log = createLogger({ service: "svc", level: "info", write: (l) => lines.push(l) });
    log.info("outside");
    const spanId = await inSpan("work", { parent: { traceparent: incoming } }, async (span) => {
      log.child({ orderId: "o1" }).info("inside", { n: 1 });
      return span.spanContext().spanId;
    });
    const [outside, inside] = lines.map((l) => JSON.parse(l));
    expect(outside).not.toHaveProperty("trace_id");
    expect(outside).toMatchObject({ level: "info", service: "svc", msg: "outside" });
    expect(typeof outside.time).toBe("string");
    expect(inside).toMatchObject({
      level: "info",
      service: "svc",
      msg: "inside",
      orderId: "o1",
      n: 1,
      trace_id: "0af7651916cd43dd8448eb211c80319c",
      span_id: spanId,
    });
  });
});
