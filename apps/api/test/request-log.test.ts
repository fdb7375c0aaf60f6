import { createLogger } from "@orders/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { token } from "./support/tokens.ts";

const lines: Record<string, unknown>[] = [];
let h: Harness;
let alice: string;

beforeAll(async () => {
  const logger = createLogger({ service: "api", level: "info", write: (line) => lines.push(JSON.parse(line)) });
  h = await createHarness({ label: "request_log", deps: { logger } });
  alice = await token("alice");
});
afterAll(() => h.close());

const requestLines = () => lines.filter((l) => l.msg === "request");

describe("request log", () => {
  it("writes one info line per request with method, route template, status, duration and the request's trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const created = await h.call("POST", "/api/orders", {
      token: alice,
      key: "log-1",
      body: orderBody("alice"),
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(created.status).toBe(201);
    const read = await h.call("GET", `/api/orders/${created.json.id}`, { token: alice });
    expect(read.status).toBe(200);

    const [post, get] = requestLines();
    expect(post).toMatchObject({
      level: "info",
      service: "api",
      method: "POST",
      route: "/api/orders",
      status: 201,
      requestId: created.headers.get("x-request-id"),
      trace_id: traceId,
    });
    expect(typeof post?.duration_ms).toBe("number");
    expect(typeof post?.time).toBe("string");
    expect(get).toMatchObject({ level: "info", method: "GET", route: "/api/orders/:id", status: 200 });
    expect(get).not.toHaveProperty("trace_id");
    expect(requestLines()).toHaveLength(2);
  });

  it("keeps probes and scrapes out of the info log", async () => {
    const before = requestLines().length;
    expect((await h.call("GET", "/healthz")).status).toBe(200);
    expect(requestLines()).toHaveLength(before);
  });
});
