import { createSign, generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwksCache } from "../src/jwks-cache.ts";
import { hmacJwtVerifier } from "../src/middleware/hmac-jwt.ts";
import { createHarness, type Harness } from "./support/harness.ts";
import { AUDIENCE, ISSUER, SECRET, token } from "./support/tokens.ts";

/*
 * Issue 12, JWT interoperability: clock-skew leeway on exp/nbf/iat (default 30 s), RFC 9068
 * access tokens (`typ: at+jwt`), and a single-key JWKS whose key (and token) has no `kid`.
 */
const ORDER = "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057"; // 404 when authenticated
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const claims = (extra: Record<string, unknown> = {}) => ({ sub: "alice", iss: ISSUER, aud: AUDIENCE, exp: now() + 600, ...extra });

function rsaSigner() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const sign = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
    const input = `${b64({ alg: "RS256", ...header })}.${b64(payload)}`;
    return `${input}.${createSign("SHA256").update(input).sign(privateKey).toString("base64url")}`;
  };
  return { jwk, sign };
}

describe("leeway", () => {
  const verify = hmacJwtVerifier({ secret: SECRET, alg: "HS256", realm: "r", leewaySeconds: 30 });
  const t = 1_900_000_000;
  const hs = async (c: Record<string, unknown>) => (await import("hono/jwt")).sign(c, SECRET, "HS256");

  it("accepts exp up to the leeway in the past and nbf/iat up to the leeway in the future", async () => {
    expect(verify(await hs({ sub: "a", exp: t - 29 }), t)).toMatchObject({ sub: "a" });
    expect(verify(await hs({ sub: "a", exp: t + 60, nbf: t + 29, iat: t + 29 }), t)).toMatchObject({ sub: "a" });
  });

  it("refuses beyond the leeway", async () => {
    expect(() => verify("x.y.z", t)).toThrow();
    await expect(hs({ sub: "a", exp: t - 30 }).then((tok) => verify(tok, t))).rejects.toThrow(/expired/);
    await expect(hs({ sub: "a", exp: t + 60, nbf: t + 31 }).then((tok) => verify(tok, t))).rejects.toThrow(/not yet/);
    await expect(hs({ sub: "a", exp: t + 60, iat: t + 31 }).then((tok) => verify(tok, t))).rejects.toThrow(/future/);
  });

  it("is 30 s by default in the app's configuration and 0 when set so", async () => {
    const { ApiConfigSchema } = await import("../src/config.ts");
    const { loadConfig } = await import("@orders/runtime");
    expect(loadConfig(ApiConfigSchema, { JWT_SECRET: SECRET }).JWT_LEEWAY_SECONDS).toBe(30);
    expect(loadConfig(ApiConfigSchema, { JWT_SECRET: SECRET, JWT_LEEWAY_SECONDS: "0" }).JWT_LEEWAY_SECONDS).toBe(0);
  });
});

describe("through the app", () => {
  let jwks: Server;
  let single: Harness;
  let several: Harness;
  let hmac: Harness;
  const a = rsaSigner();
  const b = rsaSigner();
  let keySet: unknown[] = [];

  beforeAll(async () => {
    jwks = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: req.url === "/single" ? [a.jwk] : keySet }));
    });
    await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    keySet = [
      { ...a.jwk, kid: "a", alg: "RS256", use: "sig" },
      { ...b.jwk, kid: "b", alg: "RS256", use: "sig" },
    ];
    const jwksAuth = (path: string) =>
      ({
        kind: "jwks",
        alg: "RS256",
        keys: createJwksCache(`${base}${path}`, { cacheSeconds: 300 }),
        issuer: ISSUER,
        audience: AUDIENCE,
        leewaySeconds: 30,
      }) as const;
    single = await createHarness({ label: "jwtsingle", auth: jwksAuth("/single") });
    several = await createHarness({ label: "jwtseveral", auth: jwksAuth("/several") });
    hmac = await createHarness({
      label: "jwthmac",
      auth: { kind: "hmac", secret: SECRET, alg: "HS256", issuer: ISSUER, audience: AUDIENCE, leewaySeconds: 30 },
    });
  });
  afterAll(async () => {
    await Promise.all([single.close(), several.close(), hmac.close()]);
    await new Promise<void>((r) => jwks.close(() => r()));
  });

  const status = async (h: Harness, t: string) => (await h.call("GET", ORDER, { token: t })).status;

  it("accepts a kid-less token against a single-key JWKS whose key has no kid", async () => {
    expect(await status(single, a.sign({ typ: "JWT" }, claims()))).toBe(404);
    expect(await status(single, b.sign({}, claims()))).toBe(401); // another key
  });

  it("with several keys, picks by kid and refuses a kid-less token as ambiguous", async () => {
    expect(await status(several, a.sign({ kid: "a" }, claims()))).toBe(404);
    expect(await status(several, b.sign({ kid: "b" }, claims()))).toBe(404);
    expect(await status(several, a.sign({ kid: "b" }, claims()))).toBe(401);
    expect(await status(several, a.sign({}, claims()))).toBe(401);
  });

  it("accepts RFC 9068 access tokens (typ at+jwt, with or without application/)", async () => {
    expect(await status(single, a.sign({ typ: "at+jwt" }, claims()))).toBe(404);
    expect(await status(single, a.sign({ typ: "application/at+jwt" }, claims()))).toBe(404);
    expect(await status(single, a.sign({ typ: "dpop+jwt" }, claims()))).toBe(401);
    const input = `${b64({ alg: "HS256", typ: "at+jwt" })}.${b64(claims())}`;
    const { createHmac } = await import("node:crypto");
    expect(await status(hmac, `${input}.${createHmac("sha256", SECRET).update(input).digest("base64url")}`)).toBe(404);
  });

  it("allows 30 s of clock skew on exp, nbf and iat, for JWKS and HMAC tokens alike", async () => {
    expect(await status(single, a.sign({}, claims({ exp: now() - 10 })))).toBe(404);
    expect(await status(single, a.sign({}, claims({ nbf: now() + 10, iat: now() + 10 })))).toBe(404);
    expect(await status(single, a.sign({}, claims({ exp: now() - 60 })))).toBe(401);
    expect(await status(hmac, await token("alice", { exp: now() - 10 }))).toBe(404);
    expect(await status(hmac, await token("alice", { nbf: now() + 10 }))).toBe(404);
    expect(await status(hmac, await token("alice", { exp: now() - 60 }))).toBe(401);
    expect(await status(hmac, await token("alice", { iat: now() + 60 }))).toBe(401);
  });
});
