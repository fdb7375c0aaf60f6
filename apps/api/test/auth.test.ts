import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwksCache } from "../src/jwks-cache.ts";
import { createHarness, type Harness } from "./support/harness.ts";
import { AUDIENCE, asymmetricToken, defaultClaims, ecKey, ISSUER, rsaKey, SECRET, token, unsignedToken } from "./support/tokens.ts";

const now = () => Math.floor(Date.now() / 1000);
const ORDER = "/api/orders/user/alice";

function expect401(res: { status: number; headers: Headers; json: { type: string; status: number } }) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="orders"/);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.json).toMatchObject({ type: "/problems/unauthorized", status: 401 });
}

describe("HS256 (shared secret) auth", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ label: "authhs" });
  });
  afterAll(() => h.close());

  const get = (authorization?: string) => h.call("GET", ORDER, authorization === undefined ? {} : { headers: { authorization } });

  it("accepts a valid token for its own resources", async () => {
    expect((await get(`Bearer ${await token("alice")}`)).status).toBe(200);
  });

  it.each([
    ["missing header", undefined],
    ["empty header", ""],
    ["another scheme", "Basic YWxpY2U6c2VjcmV0"],
    ["bearer without token", "Bearer"],
    ["three words", "Bearer a b"],
    ["not a JWT", "Bearer not-a-jwt"],
    ["two segments", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0"],
    ["garbage segments", "Bearer !!!.???.***"],
  ])("401 for a malformed credential: %s", async (_name, header) => {
    expect401(await get(header));
  });

  it("401 for alg none", async () => {
    expect401(await get(`Bearer ${unsignedToken(defaultClaims("alice"))}`));
    expect401(await get(`Bearer ${unsignedToken(defaultClaims("alice"))}c2ln`));
  });

  it("401 for a token signed with another HMAC algorithm than the pinned one", async () => {
    expect401(await get(`Bearer ${await token("alice", {}, SECRET, "HS512")}`));
  });

  it("401 for an RS256 token when HS256 is pinned (algorithm confusion)", async () => {
    const key = rsaKey("k1");
    expect401(await get(`Bearer ${await asymmetricToken(key, "RS256", defaultClaims("alice"))}`));
  });

  it("401 for a bad signature", async () => {
    expect401(await get(`Bearer ${await token("alice", {}, "another-secret-that-is-at-least-32-chars!!")}`));
    const good = await token("alice");
    const [header, payload] = good.split(".");
    const forged = Buffer.from(JSON.stringify({ ...defaultClaims("alice"), role: "admin" })).toString("base64url");
    expect401(await get(`Bearer ${header}.${forged}.${good.split(".")[2]}`));
    expect(payload).toBeTruthy();
  });

  it("401 for an expired token, one not yet valid, and one without exp", async () => {
    expect401(await get(`Bearer ${await token("alice", { exp: now() - 10 })}`));
    expect401(await get(`Bearer ${await token("alice", { nbf: now() + 600 })}`));
    expect401(await get(`Bearer ${await token("alice", { iat: now() + 600 })}`));
    const { exp: _exp, ...noExp } = defaultClaims("alice");
    const { sign } = await import("hono/jwt");
    expect401(await get(`Bearer ${await sign(noExp as Record<string, unknown>, SECRET, "HS256")}`));
  });

  it("401 for a wrong issuer or audience, or none", async () => {
    expect401(await get(`Bearer ${await token("alice", { iss: "https://evil.test" })}`));
    expect401(await get(`Bearer ${await token("alice", { aud: "another-api" })}`));
    const { iss: _iss, ...noIss } = defaultClaims("alice");
    const { sign } = await import("hono/jwt");
    expect401(await get(`Bearer ${await sign(noIss as Record<string, unknown>, SECRET, "HS256")}`));
  });

  it("401 when sub is missing or not a user id", async () => {
    expect401(await get(`Bearer ${await token("alice", { sub: undefined })}`));
    expect401(await get(`Bearer ${await token("alice", { sub: 42 })}`));
    expect401(await get(`Bearer ${await token("al ice")}`));
  });

  it("401 on every protected route, 200 on public ones without a token", async () => {
    for (const [method, path] of [
      ["POST", "/api/orders"],
      ["GET", "/api/orders"],
      ["GET", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057"],
      ["POST", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057/cancel"],
    ] as const) {
      expect401(await h.call(method, path));
    }
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]) expect((await h.call("GET", path)).status).toBe(200);
  });
});

describe("RS256/ES256 through a JWKS URL", () => {
  let jwks: Server;
  let jwksUrl: string;
  let fetches = 0;
  const rsa = rsaKey("rsa-1");
  const ec = ecKey("ec-1");
  const stranger = rsaKey("rsa-1"); // same kid, different key

  beforeAll(async () => {
    jwks = createServer((_req, res) => {
      fetches++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => jwks.close(() => r())));

  it("accepts RS256 tokens from the JWKS, rejects everything else, and caches the key set", async () => {
    const h = await createHarness({
      label: "authrs",
      auth: { kind: "jwks", alg: "RS256", keys: createJwksCache(jwksUrl, { cacheSeconds: 300 }), issuer: ISSUER, audience: AUDIENCE },
    });
    try {
      const get = (t: string) => h.call("GET", ORDER, { token: t });
      expect((await get(await asymmetricToken(rsa, "RS256", defaultClaims("alice")))).status).toBe(200);
      expect401(await get(await asymmetricToken(stranger, "RS256", defaultClaims("alice"))));
      expect401(await get(await asymmetricToken(ec, "ES256", defaultClaims("alice")))); // not the pinned algorithm
      expect401(await get(await token("alice"))); // HS256 against a public key
      expect401(await get(unsignedToken(defaultClaims("alice"))));
      expect401(await get(await asymmetricToken(rsa, "RS256", defaultClaims("alice", { exp: now() - 5 }))));
      expect401(await get(await asymmetricToken(rsa, "RS256", defaultClaims("alice", { aud: "other" }))));
      expect(fetches).toBe(1);
    } finally {
      await h.close();
    }
  });

  it("accepts ES256 when that is the pinned algorithm", async () => {
    const h = await createHarness({
      label: "authes",
      auth: { kind: "jwks", alg: "ES256", keys: createJwksCache(jwksUrl, { cacheSeconds: 300 }) },
    });
    try {
      expect((await h.call("GET", ORDER, { token: await asymmetricToken(ec, "ES256", defaultClaims("alice")) })).status).toBe(200);
      expect401(await h.call("GET", ORDER, { token: await asymmetricToken(rsa, "RS256", defaultClaims("alice")) }));
    } finally {
      await h.close();
    }
  });

  it("answers 503, not 500 or 401, when the key set cannot be fetched", async () => {
    const h = await createHarness({
      label: "authdown",
      auth: { kind: "jwks", alg: "RS256", keys: createJwksCache("http://127.0.0.1:9/jwks.json", { cacheSeconds: 300, timeoutMs: 500 }) },
    });
    try {
      const res = await h.call("GET", ORDER, { token: await asymmetricToken(rsa, "RS256", defaultClaims("alice")) });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
    } finally {
      await h.close();
    }
  });
});
