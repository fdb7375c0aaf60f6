import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiters } from "../src/middleware/rate-limit.ts";
import { createHarness, type Harness } from "./support/harness.ts";
import { type RawResponse, rawExchange } from "./support/raw-http.ts";
import { adminToken, token } from "./support/tokens.ts";

/*
 * Issue 12's done-when: ≥ 10 000 generated requests over a real socket — every route and
 * method, headers and bodies with arbitrary Unicode (NUL and lone surrogates included, raw and
 * JSON-escaped), bytes that are not UTF-8, broken framing values — against the full edge
 * (rate limits on PostgreSQL, CORS, security headers). Never a 5xx, never a dropped
 * connection, and every error is problem+json whose `status` is the response's.
 */
const RUNS = Number(process.env.FUZZ_WIRE_RUNS ?? 10_000);
const CONCURRENCY = 8;
let h: Harness;
let tokens: string[];

beforeAll(async () => {
  h = await createHarness({
    label: "fuzzwire",
    http: true,
    bodyLimitBytes: 4_096,
    deps: (db) => ({
      rateLimiters: createRateLimiters(db.pool, {
        windowSeconds: 60,
        perAddress: 1_000_000,
        perUser: 1_000_000,
        authFailuresPerAddress: 1_000_000,
        trustProxyHops: 1,
      }),
      cors: { origins: ["https://shop.example"], maxAgeSeconds: 60 },
    }),
  });
  tokens = [await token("fuzzer"), await adminToken(), await token("other"), "garbage", "a.b.c"];
});
afterAll(() => h.close());

/** Arbitrary Unicode, weighted towards what breaks storage and parsers. */
const nasty = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "\udfff", "x\udc00y", "\ud83d", "😀", "\u202e", "\ufeff", "\r\n", "%00", "../..", "\\"),
  fc.string({ unit: fc.constantFrom("\u0000", "\ud800", "\udc00", "a", "é", "😀", '"', "\\", "\n"), maxLength: 12 }),
);

/** Percent-encodes every byte of the UTF-8 (encodeURIComponent throws on lone surrogates). */
const pct = (s: string) => Buffer.from(s, "utf8").toString("hex").replace(/../g, "%$&");
/** The UTF-8 bytes as they are, one latin1 char per byte (raw non-ASCII in the request line). */
const raw = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const encoded = fc.oneof(nasty.map(pct), nasty.map(raw));

const uuid = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constant("01890a5d-ac96-774b-bcce-b302099a8057"),
);
const segment = fc.oneof(uuid, encoded, fc.constantFrom("%", "%E0%A4%A", "%ED%A0%80", "%00", "..", "%2F", ""));
const query = fc
  .array(
    fc.tuple(fc.constantFrom("limit", "cursor", "status", "userId", "x"), fc.oneof(nasty, fc.integer({ min: -5, max: 200 }).map(String))),
    {
      maxLength: 3,
    },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${pct(v)}`).join("&")}` : ""));

const path = fc.oneof(
  fc.constant("/api/orders"),
  segment.map((s) => `/api/orders/${s}`),
  segment.map((s) => `/api/orders/user/${s}`),
  segment.map((s) => `/api/orders/${s}/cancel`),
  fc.constantFrom(
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/init.js",
    "/docs/assets/x/nope.js",
    "/nope",
    "/api",
    "/",
  ),
  encoded.map((s) => `/${s}`),
);

const method = fc.constantFrom("GET", "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");

/** A JSON text in which strings may hold lone surrogates / NUL (JSON.stringify escapes them). */
const orderish = fc.record(
  {
    userId: fc.oneof(fc.constantFrom("fuzzer", "other"), nasty),
    items: fc.oneof(
      fc.array(
        fc.record({
          productId: fc.oneof(fc.constantFrom("abc", "sku-1", "sku-2"), nasty),
          quantity: fc.oneof(fc.integer({ min: -1, max: 1_001 }), nasty),
        }),
        {
          maxLength: 3,
        },
      ),
      fc.jsonValue(),
    ),
    shippingAddress: fc.oneof(nasty, fc.constant("Bhubaneswar")),
    paymentMethod: fc.oneof(fc.constantFrom("card", "upi", "cod"), nasty),
    extra: nasty,
  },
  { requiredKeys: ["userId", "items", "shippingAddress", "paymentMethod"] },
);

const body = fc.oneof(
  orderish.map((o) => Buffer.from(JSON.stringify(o), "utf8")),
  orderish.map((o) => Buffer.from(JSON.stringify({ ...o, extra: undefined }), "utf8")),
  nasty.map((s) => Buffer.from(JSON.stringify(s), "utf8")),
  nasty.map((s) => Buffer.from(s, "utf8")),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), // not UTF-8 at all
  fc.constant(Buffer.from('{"shippingAddress":"\xed\xa0\x80"}', "latin1")), // CESU-8 lone surrogate bytes
  fc.constant(Buffer.alloc(5_000, "x")),
  fc.constant(Buffer.alloc(0)),
);

/** Header values as raw bytes: UTF-8 of arbitrary Unicode, NUL, controls. */
const headerValue = fc.oneof(
  nasty.map((s) => Buffer.from(s, "utf8").toString("latin1")),
  fc.constantFrom("", " ", "k1", "application/json", "\u0000", "a\u0007b", "\u00ff"),
);
const extraHeaders = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        "Idempotency-Key",
        "Content-Type",
        "traceparent",
        "X-Request-Id",
        "Origin",
        "X-Forwarded-For",
        "Accept",
        "Expect",
        "Host",
        "Transfer-Encoding",
      ),
      fc.string({ unit: fc.constantFrom(..."abcXYZ-_\u0000 :é"), minLength: 1, maxLength: 8 }),
    ),
    headerValue,
  ),
  { maxLength: 4 },
);

const request = fc.record({
  method,
  path,
  query,
  token: fc.nat({ max: 5 }), // 5 = no Authorization header
  contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "", "application/problem+json"),
  key: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: headerValue }),
  body: fc.option(body, { freq: 4 }),
  extra: fc.oneof({ weight: 2, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: extraHeaders }),
});

/** Well-formed creates with one hostile field at most: the success path and the storage edge. */
const nearValid = fc.record({
  method: fc.constant("POST"),
  path: fc.constant("/api/orders"),
  query: fc.constant(""),
  token: fc.constant(0),
  contentType: fc.constant("application/json"),
  key: fc.uuid(),
  body: fc
    .record({
      shippingAddress: fc.oneof(fc.constant("Bhubaneswar"), nasty, fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 })),
      productId: fc.oneof(fc.constantFrom("abc", "sku-1", "sku-2", "sku-3"), nasty),
      quantity: fc.integer({ min: 0, max: 3 }),
    })
    .map((o) =>
      Buffer.from(
        JSON.stringify({
          userId: "fuzzer",
          items: [{ productId: o.productId, quantity: o.quantity }],
          shippingAddress: o.shippingAddress,
          paymentMethod: "card",
        }),
        "utf8",
      ),
    ),
  extra: fc.constant([] as [string, string][]),
});

type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function bytesOf(r: Req): Buffer {
  const lines = [`${r.method} ${r.path}${r.query} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
  const t = tokens[r.token];
  if (t) lines.push(`Authorization: Bearer ${t}`);
  if (r.contentType) lines.push(`Content-Type: ${r.contentType}`);
  lines.push(`Idempotency-Key: ${r.key}`);
  for (const [name, value] of r.extra) if (!/^(transfer-encoding|content-length|connection)$/i.test(name)) lines.push(`${name}: ${value}`);
  const payload = r.body ?? Buffer.alloc(0);
  if (r.body) lines.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}

function violation(r: Req, res: RawResponse | undefined, closedEarly: boolean): string | undefined {
  const what = `${r.method} ${r.path}${r.query}`;
  if (!res) return `${what}: no response${closedEarly ? " (connection closed)" : " (timeout)"}`;
  if (res.status >= 500) return `${what}: ${res.status} ${res.body.slice(0, 200)}`;
  if (res.status >= 400) {
    if (res.headers["content-type"] !== "application/problem+json") return `${what}: ${res.status} with ${res.headers["content-type"]}`;
    if (r.method === "HEAD") return undefined; // no body on HEAD
    let problem: { status?: unknown; type?: unknown; title?: unknown };
    try {
      problem = JSON.parse(res.body);
    } catch {
      return `${what}: ${res.status} body is not JSON: ${JSON.stringify(res.body.slice(0, 120))} ${JSON.stringify(res.headers)}`;
    }
    if (problem.status !== res.status || typeof problem.type !== "string" || typeof problem.title !== "string")
      return `${what}: ${res.status} problem ${res.body.slice(0, 200)}`;
  }
  return undefined;
}

describe("fuzzing the wire", () => {
  it(`answers ${RUNS} generated requests without a 5xx, with problem+json for every error`, { timeout: 600_000 }, async () => {
    const requests = fc.sample(fc.oneof({ arbitrary: request, weight: 4 }, { arbitrary: nearValid, weight: 1 }), {
      numRuns: RUNS,
      seed: Number(process.env.FUZZ_SEED ?? 12_2024),
    });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const r = requests[next++] as Req;
          const result = await rawExchange(h.server?.port as number, bytesOf(r), { timeoutMs: 10_000, head: r.method === "HEAD" });
          const res = result.responses[0];
          if (res) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const v = violation(r, res, result.closed);
          if (v) failures.push(v);
        }
      }),
    );
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0) + failures.filter((f) => f.includes("no response")).length;
    console.log(`fuzz-wire: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(RUNS);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(0); // the generator reaches the success path too
  });
});
