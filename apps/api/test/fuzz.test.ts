import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";
import { adminToken, token } from "./support/tokens.ts";

/*
 * Property-based fuzzing of every route: generated bodies, headers, ids and query strings.
 * Invariants: never a 5xx, errors are always problem+json (and every response matches the
 * OpenAPI document — the harness checks), and no order is created by a request that did not
 * answer 201.
 */
let h: Harness;
let tokens: string[];

beforeAll(async () => {
  h = await createHarness({ label: "fuzz", bodyLimitBytes: 4_096 });
  tokens = [await token("fuzzer"), await adminToken(), await token("other"), "garbage", ""];
});
afterAll(() => h.close());

const PRODUCTS = ["abc", "sku-1", "sku-2", "sku-3", "limited", "sold-out", "nope", "", "a b", "x".repeat(65)];
const printable = fc.string({ unit: fc.constantFrom(..."abcXYZ019 -_.:/~!%\"'{}[]<>?&=#é".split("")), maxLength: 40 });

const item = fc.record(
  {
    productId: fc.oneof(fc.constantFrom(...PRODUCTS), printable, fc.integer(), fc.constant(null)),
    quantity: fc.oneof(fc.integer({ min: -2, max: 1_002 }), fc.double(), fc.string({ maxLength: 3 }), fc.constant(null)),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

const orderish = fc.record(
  {
    userId: fc.oneof(fc.constantFrom("fuzzer", "other", "", "x".repeat(65)), printable, fc.integer()),
    items: fc.oneof(fc.array(item, { maxLength: 4 }), fc.anything()),
    shippingAddress: fc.oneof(printable, fc.constant(" "), fc.integer(), fc.constant("x".repeat(501))),
    paymentMethod: fc.oneof(fc.constantFrom("card", "upi", "netbanking", "wallet", "cod", "cash", ""), fc.anything()),
    surprise: fc.anything(),
  },
  { requiredKeys: [] },
);

/** A valid order, then at most one field broken: exercises both sides of every check. */
const nearValid = fc
  .record({
    items: fc.uniqueArray(
      fc.record({ productId: fc.constantFrom("abc", "sku-1", "sku-2", "sku-3", "limited"), quantity: fc.integer({ min: 1, max: 3 }) }),
      {
        minLength: 1,
        maxLength: 3,
        selector: (i) => i.productId,
      },
    ),
    shippingAddress: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0),
    paymentMethod: fc.constantFrom("card", "upi", "netbanking", "wallet", "cod"),
    broken: fc.option(fc.tuple(fc.constantFrom("userId", "items", "shippingAddress", "paymentMethod", "extra"), fc.jsonValue()), {
      freq: 2,
    }),
  })
  .map(({ broken, ...o }) => {
    const order: Record<string, unknown> = { userId: "fuzzer", ...o };
    if (broken) order[broken[0]] = broken[1];
    return { raw: JSON.stringify(order) };
  });

const body = fc.oneof(
  nearValid,
  orderish.map((b) => ({ raw: JSON.stringify(b) })),
  fc.jsonValue().map((b) => ({ raw: JSON.stringify(b) })),
  fc.string({ maxLength: 60 }).map((raw) => ({ raw })),
  fc.constant({ raw: "x".repeat(5_000) }),
  fc.constant(undefined),
);

const segment = fc.oneof(
  fc.uuid(),
  fc.constantFrom(
    "01890a5d-ac96-774b-bcce-b302099a8057",
    "not-a-uuid",
    "%",
    "%E0%A4%A",
    "..",
    "%2F",
    "user",
    "00000000-0000-0000-0000-000000000000",
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom("limit", "cursor", "status", "userId", "x"),
      fc.oneof(printable, fc.integer({ min: -5, max: 200 }).map(String)),
    ),
    {
      maxLength: 4,
    },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}` : ""));

const route = fc.oneof(
  fc.constant(["POST", "/api/orders"] as [string, string]),
  fc.tuple(fc.constantFrom("POST", "GET", "PUT", "DELETE", "PATCH"), fc.constant("/api/orders")),
  fc.tuple(
    fc.constantFrom("GET", "POST", "DELETE"),
    segment.map((s) => `/api/orders/${s}`),
  ),
  fc.tuple(
    fc.constantFrom("GET", "POST"),
    segment.map((s) => `/api/orders/user/${s}`),
  ),
  fc.tuple(
    fc.constantFrom("POST", "GET"),
    segment.map((s) => `/api/orders/${s}/cancel`),
  ),
  fc.tuple(fc.constantFrom("GET", "POST"), fc.constantFrom("/healthz", "/readyz", "/openapi.json", "/nope", "/api", "/api/")),
);

const headerValue = fc.string({ unit: fc.constantFrom(..." abcXYZ019-_.:;,=/+*\"'()".split("")), maxLength: 300 });
const headers = fc.record(
  {
    "content-type": fc.constantFrom(
      "application/json",
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/problem+json",
      "",
      "multipart/form-data",
    ),
    "idempotency-key": fc.oneof(headerValue, fc.constantFrom("k1", "k2", "k3"), fc.uuid()),
    traceparent: fc.oneof(headerValue, fc.constant("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")),
    "x-request-id": headerValue,
  },
  { requiredKeys: [] },
);

const orderCount = async () => (await h.db.pool.query("SELECT count(*)::int AS n FROM orders")).rows[0].n as number;

describe("fuzzing every route", () => {
  it("never answers 5xx, always problem+json for errors, and creates orders only with a 201", async () => {
    let created = 0;
    await fc.assert(
      fc.asyncProperty(route, query, body, headers, fc.nat({ max: tokens.length - 1 }), async ([method, path], q, b, hs, t) => {
        const before = await orderCount();
        const res = await h.call(method, `${path}${q}`, {
          ...(tokens[t] ? { token: tokens[t] } : {}),
          headers: hs,
          ...(b && method !== "GET" ? { rawBody: b.raw } : {}),
        });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toBe("application/problem+json");
          expect(res.json.status).toBe(res.status);
        }
        const after = await orderCount();
        if (res.status === 201 && res.headers.get("idempotent-replayed") === null) {
          expect(after).toBe(before + 1);
          created++;
        } else {
          expect(after).toBe(before);
        }
      }),
      { numRuns: 1_200, seed: Number(process.env.FUZZ_SEED ?? 20240601) },
    );
    expect(h.checked()).toBeGreaterThanOrEqual(1_200);
    expect(created).toBeGreaterThan(0); // the generator does reach the success path
  });
});
