import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { bearerMiddleware } from "./bearer.ts";
import { type ClaimOptions, checkClaims, InvalidToken, splitToken } from "./jwt-checks.ts";

export type HmacAlg = "HS256" | "HS384" | "HS512";

export interface HmacJwtOptions extends ClaimOptions {
  readonly secret: string;
  /** Pinned: a token whose header names another algorithm is rejected. */
  readonly alg: HmacAlg;
  readonly realm: string;
}

const HASH = { HS256: "sha256", HS384: "sha384", HS512: "sha512" } as const;

/**
 * The claims of an HMAC-signed JWT, or an InvalidToken error (jwt-checks.ts: pinned alg,
 * `typ` JWT or at+jwt, `exp` required, leeway), with node:crypto's synchronous HMAC on a key
 * created once (hono imports the secret with WebCrypto on every request and verifies on the
 * thread pool: ~10% of the API's CPU per request in bench/api).
 */
export function hmacJwtVerifier(options: HmacJwtOptions): (token: string, nowSeconds?: number) => Record<string, unknown> {
  const key = createSecretKey(Buffer.from(options.secret, "utf8"));
  const hash = HASH[options.alg];
  return (token, nowSeconds) => {
    const { signingInput, signature, payloadPart } = splitToken(token, options.alg);
    const expected = createHmac(hash, key).update(signingInput).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new InvalidToken("bad signature");
    return checkClaims(payloadPart, options, nowSeconds);
  };
}

/**
 * Drop-in for hono's `jwt({ secret, alg, realm, verification })` middleware: reads the
 * Bearer token from Authorization, sets `jwtPayload`, and throws the same HTTPException(401)s
 * (same messages and WWW-Authenticate challenges) that hono's throws.
 */
export function hmacJwt(options: HmacJwtOptions): MiddlewareHandler {
  const verify = hmacJwtVerifier(options);
  return bearerMiddleware(options.realm, async (token) => verify(token));
}
