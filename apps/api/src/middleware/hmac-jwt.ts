import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";

export type HmacAlg = "HS256" | "HS384" | "HS512";

export interface HmacJwtOptions {
  readonly secret: string;
  /** Pinned: a token whose header names another algorithm is rejected. */
  readonly alg: HmacAlg;
  readonly realm: string;
  readonly issuer?: string;
  readonly audience?: string;
}

const HASH = { HS256: "sha256", HS384: "sha384", HS512: "sha512" } as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

class Invalid extends Error {}

const part = (encoded: string | undefined): unknown => {
  if (!encoded || !BASE64URL.test(encoded)) throw new Invalid("malformed token");
  try {
    return JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    throw new Invalid("malformed token");
  }
};

const isTyp = (typ: unknown) => typeof typ === "string" && typ.toLowerCase().replace(/^application\//, "") === "jwt";
const finite = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);

/**
 * The claims of an HMAC-signed JWT, or an Invalid error. The same checks as hono's
 * `Jwt.verify` (header `alg` must equal the pinned one; `typ` absent or JWT; no `crit`;
 * `nbf`/`iat` when present), stricter on `exp`, which is REQUIRED, and with node:crypto's
 * synchronous HMAC on a key created once (hono imports the secret with WebCrypto on every
 * request and verifies on the thread pool: ~10% of the API's CPU per request in bench/api).
 */
export function hmacJwtVerifier(options: HmacJwtOptions): (token: string, nowSeconds?: number) => Record<string, unknown> {
  const key = createSecretKey(Buffer.from(options.secret, "utf8"));
  const hash = HASH[options.alg];
  return (token, nowSeconds = Math.floor(Date.now() / 1000)) => {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Invalid("malformed token");
    const [h, p, s] = parts as [string, string, string];
    const header = part(h);
    if (typeof header !== "object" || header === null || Array.isArray(header)) throw new Invalid("malformed header");
    const hdr = header as Record<string, unknown>;
    if (hdr.alg !== options.alg) throw new Invalid("unexpected algorithm");
    if ("typ" in hdr && !isTyp(hdr.typ)) throw new Invalid("unexpected typ");
    if ("crit" in hdr) throw new Invalid("unsupported crit header");
    if (!BASE64URL.test(s)) throw new Invalid("malformed signature");
    const signature = Buffer.from(s, "base64url");
    const expected = createHmac(hash, key).update(`${h}.${p}`).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new Invalid("bad signature");

    const payload = part(p);
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw new Invalid("malformed payload");
    const claims = payload as Record<string, unknown>;
    if (!finite(claims.exp) || claims.exp <= nowSeconds) throw new Invalid("expired or no exp");
    if (claims.nbf !== undefined && (!finite(claims.nbf) || claims.nbf > nowSeconds)) throw new Invalid("not yet valid");
    if (claims.iat !== undefined && (!finite(claims.iat) || claims.iat > nowSeconds)) throw new Invalid("issued in the future");
    if (options.issuer !== undefined && claims.iss !== options.issuer) throw new Invalid("wrong issuer");
    if (options.audience !== undefined) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(options.audience)) throw new Invalid("wrong audience");
    }
    return claims;
  };
}

const challenge = (realm: string, error: string, description: string) =>
  new Response("Unauthorized", {
    status: 401,
    headers: { "WWW-Authenticate": `Bearer realm="${realm}",error="${error}",error_description="${description}"` },
  });

/**
 * Drop-in for hono's `jwt({ secret, alg, realm, verification })` middleware: reads the
 * Bearer token from Authorization, sets `jwtPayload`, and throws the same HTTPException(401)s
 * (same messages and WWW-Authenticate challenges) that hono's throws.
 */
export function hmacJwt(options: HmacJwtOptions): MiddlewareHandler {
  const verify = hmacJwtVerifier(options);
  return async (c, next) => {
    const credentials = c.req.raw.headers.get("Authorization");
    if (!credentials) {
      const message = "no authorization included in request";
      throw new HTTPException(401, { message, res: challenge(options.realm, "invalid_request", message) });
    }
    const parts = credentials.split(/\s+/);
    if (parts.length !== 2 || parts[0]?.toLowerCase() !== "bearer" || !parts[1]) {
      const message = "invalid credentials structure";
      throw new HTTPException(401, { message, res: challenge(options.realm, "invalid_request", message) });
    }
    let payload: Record<string, unknown>;
    try {
      payload = verify(parts[1]);
    } catch (cause) {
      throw new HTTPException(401, {
        message: "Unauthorized",
        res: challenge(options.realm, "invalid_token", "token verification failure"),
        cause,
      });
    }
    c.set("jwtPayload" as never, payload as never);
    await next();
  };
}
