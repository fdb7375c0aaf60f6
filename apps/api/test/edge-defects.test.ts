import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../src/openapi/document.ts";
import { createHarness, type Harness, orderBody } from "./support/harness.ts";
import { rawExchange } from "./support/raw-http.ts";
import { token } from "./support/tokens.ts";

/*
 * Issue 12, defects 1, 2, 4 and 5, each driven the way the hostile black-box suite found it:
 * a real server on a loopback port, raw bytes where fetch would refuse to send them.
 */
let h: Harness;
let alice: string;
let port: number;
let keyN = 0;

beforeAll(async () => {
  h = await createHarness({ label: "edge", http: true });
  port = h.server?.port as number;
  alice = await token("alice");
});
afterAll(() => h.close());

const create = (rawBody: string) =>
  h.call("POST", "/api/orders", {
    token: alice,
    rawBody,
    key: `edge-${++keyN}`,
    headers: { "content-type": "application/json" },
  });

describe("defect 1: text PostgreSQL cannot store is a 400 naming the field, never a 500", () => {
  const cases = [
    [
      "NUL in shippingAddress",
      '{"userId":"alice","items":[{"productId":"abc","quantity":1}],"shippingAddress":"a\\u0000b","paymentMethod":"card"}',
      "/shippingAddress",
    ],
    [
      "lone high surrogate in shippingAddress",
      '{"userId":"alice","items":[{"productId":"abc","quantity":1}],"shippingAddress":"a\\ud800b","paymentMethod":"card"}',
      "/shippingAddress",
    ],
    [
      "lone low surrogate in shippingAddress",
      '{"userId":"alice","items":[{"productId":"abc","quantity":1}],"shippingAddress":"\\udfff","paymentMethod":"card"}',
      "/shippingAddress",
    ],
    [
      "NUL in a productId",
      '{"userId":"alice","items":[{"productId":"ab\\u0000c","quantity":1}],"shippingAddress":"x","paymentMethod":"card"}',
      "/items/0/productId",
    ],
    [
      "lone surrogate in a productId",
      '{"userId":"alice","items":[{"productId":"\\ud800","quantity":1}],"shippingAddress":"x","paymentMethod":"card"}',
      "/items/0/productId",
    ],
    [
      "NUL in paymentMethod",
      '{"userId":"alice","items":[{"productId":"abc","quantity":1}],"shippingAddress":"x","paymentMethod":"card\\u0000"}',
      "/paymentMethod",
    ],
    [
      "NUL in userId",
      '{"userId":"alice\\u0000","items":[{"productId":"abc","quantity":1}],"shippingAddress":"x","paymentMethod":"card"}',
      "/userId",
    ],
  ] as const;

  it.each(cases)("%s", async (_, raw, pointer) => {
    const res = await create(raw);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  });

  it("NUL and lone surrogates in query strings and path segments are 400s", async () => {
    const admin = await token("root", { role: "admin" });
    for (const path of ["/api/orders?userId=a%00b", "/api/orders?cursor=%00", "/api/orders/user/%00", "/api/orders/%ED%A0%80"]) {
      const res = await h.call("GET", path, { token: admin });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
  });

  it("stores well-formed text, astral characters and newlines included", async () => {
    const res = await create(JSON.stringify(orderBody("alice", undefined, { shippingAddress: "Flat 2 😀\nଭୁବନେଶ୍ୱର" })));
    expect(res.status).toBe(201);
    expect(res.json.shippingAddress).toBe("Flat 2 😀\nଭୁବନେଶ୍ୱର");
  });
});

const healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

describe("defect 2: a refused body never costs the next request on the connection", () => {
  // The body arrives after the refusal, slower than the server's 500 ms drain allowance (a big
  // upload on a slow link): the connection must not be dropped after promising keep-alive.
  const slow = (head: string, length: number) => [head, "x".repeat(1_000), 300, "x".repeat(1_000), 400, "x".repeat(length - 2_000), 100];
  const headOf = (path: string, length: number, headers = "") =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${headers}\r\n`;

  it.each([
    ["413 (body over the limit)", "Authorization: Bearer TOKEN\r\nIdempotency-Key: k413\r\n", 413],
    ["401 (refused before the body is read)", "", 401],
    ["415 (not JSON)", "Authorization: Bearer TOKEN\r\nIdempotency-Key: k415\r\n", 415],
  ])("after a %s the connection either answers the next request or says Connection: close", async (_, extra, status) => {
    const length = status === 413 ? 70_000 : 5_000;
    const head = headOf("/api/orders", length, extra.replace("TOKEN", alice)).replace(
      status === 415 ? "application/json" : "\u0000",
      "text/plain",
    );
    const result = await rawExchange(port, [...slow(head, length), healthz], { expect: 2, timeoutMs: 3_000 });
    const first = result.responses[0];
    expect(first?.status).toBe(status);
    expect(first?.headers["content-type"]).toBe("application/problem+json");
    if (first?.headers.connection?.toLowerCase() !== "close") {
      // It promised keep-alive: the pipelined request must be answered.
      expect(result.responses.map((r) => r.status)).toEqual([status, 200]);
    } else {
      expect(result.closed).toBe(true);
    }
  });

  it("a body that was read keeps the connection alive for the next request", async () => {
    const body = JSON.stringify(orderBody("alice"));
    const head = headOf("/api/orders", Buffer.byteLength(body), `Authorization: Bearer ${alice}\r\nIdempotency-Key: kept-alive\r\n`);
    const result = await rawExchange(port, [head + body, healthz], { expect: 2 });
    expect(result.responses.map((r) => r.status)).toEqual([201, 200]);
    expect(result.responses[0]?.headers.connection?.toLowerCase()).not.toBe("close");
  });
});

describe("defect 4: errors raised below Hono are problem+json too", () => {
  it.each([
    ["headers too large", `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["a malformed request line", "GARBAGE\r\n\r\n", 400],
    ["a NUL byte in a header value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n", 400],
    ["a bad Content-Length", "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400],
    ["a bad chunk size", "POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 400],
  ])("%s", async (_, request, status) => {
    const result = await rawExchange(port, Buffer.from(request, "latin1"));
    const res = result.responses[0];
    expect(res?.status).toBe(status);
    expect(res?.headers["content-type"]).toBe("application/problem+json");
    expect(res?.headers.connection?.toLowerCase()).toBe("close");
    const body = JSON.parse(res?.body ?? "{}");
    expect(body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), title: expect.any(String) });
  });
});

describe("defect 5: the OpenAPI document and the server agree on upper-case ids", () => {
  it("documents the id pattern the server accepts (any case), and the server finds the order by it", async () => {
    const created = await create(JSON.stringify(orderBody("alice")));
    expect(created.status).toBe(201);
    const upper = (created.json.id as string).toUpperCase();
    const doc = buildOpenApiDocument() as {
      paths: Record<string, Record<string, { parameters: { name: string; schema: { pattern: string } }[] }>>;
    };
    for (const path of ["/api/orders/{id}", "/api/orders/{id}/cancel"]) {
      const op = Object.values(doc.paths[path] ?? {})[0];
      const pattern = op?.parameters.find((p) => p.name === "id")?.schema.pattern as string;
      expect(new RegExp(pattern, "u").test(upper), `${path} pattern ${pattern}`).toBe(true);
      expect(new RegExp(pattern, "u").test(created.json.id), path).toBe(true);
      expect(new RegExp(pattern, "u").test("not-a-uuid"), path).toBe(false);
    }
    const res = await h.call("GET", `/api/orders/${upper}`, { token: alice });
    expect(res.status).toBe(200);
    expect(res.json.id).toBe(created.json.id);
  });
});
