import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inSpan, SpanKind, startTracing, type Tracing } from "../src/index.ts";

// The real configuration path: OTEL_EXPORTER_OTLP_ENDPOINT → OTLP/HTTP exporter → a collector
// stand-in that accepts the first export and refuses the next.
const bodies: string[] = [];
let refuse = false;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    if (refuse) {
      res.writeHead(400, { "content-type": "application/json" }).end("{}");
      return;
    }
    if (req.url === "/v1/traces") bodies.push(body);
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
const lines: Record<string, unknown>[] = [];
let tracing: Tracing;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  tracing = startTracing({
    service: "export-test",
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test",
      OTEL_BSP_SCHEDULE_DELAY: "50",
    },
    write: (line) => lines.push(JSON.parse(line)),
  });
});
afterAll(async () => {
  await tracing?.shutdown();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("OTLP export configured by OTEL_* variables", () => {
  it("sends spans as OTLP/HTTP JSON to {endpoint}/v1/traces with the service's resource", async () => {
    expect(tracing.enabled).toBe(true);
    await inSpan("orders publish", { kind: SpanKind.PRODUCER }, async () => {});
    await tracing.forceFlush();
    const sent = JSON.parse(bodies.join("")) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: { name: string }[] }[];
      }[];
    };
    const [rs] = sent.resourceSpans;
    const attrs = Object.fromEntries((rs?.resource.attributes ?? []).map((a) => [a.key, a.value.stringValue]));
    expect(attrs).toMatchObject({ "service.name": "export-test", "deployment.environment": "test" });
    expect(rs?.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))).toEqual(["orders publish"]);
  });

  it("turns an export the collector refused into a log line of the process", async () => {
    refuse = true;
    await inSpan("lost", {}, async () => {});
    // The batch processor's own export (every OTEL_BSP_SCHEDULE_DELAY ms) reports the refusal.
    await expect
      .poll(() => lines.find((l) => l.component === "opentelemetry"))
      .toMatchObject({ service: "export-test", component: "opentelemetry" });
    expect(lines.find((l) => l.component === "opentelemetry")).toMatchObject({ level: "error", msg: "Bad Request" });
  });
});
