import { createHmac } from "node:crypto";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { hmacJwtVerifier } from "../src/middleware/hmac-jwt.ts";

const SECRET = "a-secret-that-is-at-least-32-characters-long";
const now = 1_900_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
/** A token with any header, signed correctly with SECRET (so only the header/claims can fail it). */
const forge = (header: unknown, claims: unknown, hash = "sha256") => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac(hash, SECRET).update(input).digest("base64url")}`;
};

describe("hmacJwtVerifier", () => {
  const verify = hmacJwtVerifier({ secret: SECRET, alg: "HS256", realm: "r", issuer: "idp", audience: "orders" });
  const claims = { sub: "alice", exp: now + 60, iss: "idp", aud: "orders" };

  it("accepts what hono's sign produces, and returns the claims", async () => {
    expect(verify(await sign(claims, SECRET, "HS256"), now)).toEqual(claims);
    expect(verify(forge({ alg: "HS256" }, { ...claims, aud: ["x", "orders"] }), now)).toMatchObject({ sub: "alice" });
    expect(verify(forge({ alg: "HS256", typ: "application/JWT" }, claims), now)).toMatchObject({ sub: "alice" });
  });

  it("rejects another algorithm, alg none, a foreign typ, crit, and a bad or missing signature", async () => {
    expect(() => verify(forge({ alg: "HS512", typ: "JWT" }, claims, "sha512"), now)).toThrow();
    expect(() => verify(`${b64({ alg: "none" })}.${b64(claims)}.`, now)).toThrow();
    expect(() => verify(forge({ alg: "HS256", typ: "dpop+jwt" }, claims), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256", crit: ["x"] }, claims), now)).toThrow();
    const good = await sign(claims, SECRET, "HS256");
    // A character inside the signature (the last one carries unused bits).
    const at = good.length - 10;
    const tampered = `${good.slice(0, at)}${good[at] === "A" ? "B" : "A"}${good.slice(at + 1)}`;
    expect(() => verify(tampered, now)).toThrow();
    expect(() => verify(good.split(".").slice(0, 2).join("."), now)).toThrow();
    const otherKey = await sign(claims, `${SECRET}x`, "HS256");
    expect(() => verify(otherKey, now)).toThrow();
  });

  it("requires exp in the future; checks nbf, iat, iss and aud", () => {
    const { exp: _, ...noExp } = claims;
    expect(() => verify(forge({ alg: "HS256" }, noExp), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, exp: now }), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, exp: "9999999999" }), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, nbf: now + 1 }), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, iat: now + 1 }), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, iss: "other" }), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, aud: ["x"] }), now)).toThrow();
    expect(() => verify(forge({ alg: "HS256" }, { ...claims, aud: undefined }), now)).toThrow();
    expect(verify(forge({ alg: "HS256" }, { ...claims, nbf: now, iat: now }), now)).toMatchObject({ sub: "alice" });
  });
});
