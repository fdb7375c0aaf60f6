import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { sign } from "hono/jwt";

export const SECRET = "test-secret-that-is-at-least-32-characters-long";
export const ISSUER = "https://issuer.test";
export const AUDIENCE = "orders-api";

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export interface Claims {
  sub?: unknown;
  role?: string;
  exp?: number;
  nbf?: number;
  iat?: number;
  iss?: string;
  aud?: string;
  [k: string]: unknown;
}

export const defaultClaims = (sub: string, extra: Claims = {}): Claims => ({
  sub,
  iss: ISSUER,
  aud: AUDIENCE,
  iat: now(),
  exp: now() + 600,
  ...extra,
});

/** HS256 token for `sub` (role admin when asked). */
export const token = (sub: string, extra: Claims = {}, secret = SECRET, alg: "HS256" | "HS384" | "HS512" = "HS256") =>
  sign(defaultClaims(sub, extra) as Record<string, unknown>, secret, alg);

export const adminToken = () => token("admin-1", { role: "admin" });

/** `alg: none` with an empty signature. */
export const unsignedToken = (claims: Claims) => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;

export interface KeyPairJwk {
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
  readonly kid: string;
}

export function rsaKey(kid: string): KeyPairJwk {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, kid, publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

export function ecKey(kid: string): KeyPairJwk {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, kid, publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
}

/** Asymmetric token with a `kid` header (hono's sign does not set kid, so sign by hand). */
export async function asymmetricToken(key: KeyPairJwk, alg: "RS256" | "ES256", claims: Claims): Promise<string> {
  const { createSign } = await import("node:crypto");
  const input = `${b64({ alg, typ: "JWT", kid: key.kid })}.${b64(claims)}`;
  const signer = createSign("SHA256");
  signer.update(input);
  const signature = signer.sign(alg === "ES256" ? { key: key.privateKey, dsaEncoding: "ieee-p1363" } : key.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}
