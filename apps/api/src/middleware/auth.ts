import { AppError, EXTERNAL_ID_PATTERN } from "@orders/domain";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import type { AppEnv } from "../env.ts";
import { hmacJwt } from "./hmac-jwt.ts";
import { type AsymmetricAlg, jwksJwt } from "./jwks-jwt.ts";
import { withHeaders } from "./problem.ts";

export const AUTH_REALM = "orders";

export type AuthOptions = (
  | { readonly kind: "hmac"; readonly secret: string; readonly alg: "HS256" | "HS384" | "HS512" }
  | { readonly kind: "jwks"; readonly keys: () => Promise<JsonWebKeyWithKid[]>; readonly alg: AsymmetricAlg }
) & {
  readonly issuer?: string;
  readonly audience?: string;
  /** Clock skew allowed on exp/nbf/iat (default 0 here; JWT_LEEWAY_SECONDS, default 30, in the app). */
  readonly leewaySeconds?: number;
};

export type { AsymmetricAlg };
export type JsonWebKeyWithKid = HonoJsonWebKey;

/** A 401 with the challenge header the problem mapper puts on the response. */
export const unauthorized = (detail: string, challenge: string, cause?: unknown) =>
  withHeaders(new AppError("UNAUTHORIZED", detail, { cause }), { "WWW-Authenticate": challenge });

const invalidToken = (detail: string) =>
  unauthorized(detail, `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${detail}"`);

/**
 * Bearer JWT auth: HMAC tokens through hmac-jwt.ts, asymmetric ones through jwks-jwt.ts and
 * the JWKS cache (a `kid`-less token is verified with a single-key set's key). The algorithm
 * is pinned by configuration (a token's own `alg` never chooses it), `typ` is JWT or RFC 9068
 * `at+jwt`, `exp` is required, exp/nbf/iat allow `leewaySeconds` of clock skew, `iss`/`aud` are
 * checked when configured, `sub` must be a user id.
 * Sets `user` = { id: sub, admin: role === "admin" }.
 */
export function authMiddleware(options: AuthOptions): MiddlewareHandler<AppEnv> {
  const claims = {
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
    leewaySeconds: options.leewaySeconds ?? 0,
  };
  const verify: MiddlewareHandler =
    options.kind === "hmac"
      ? hmacJwt({ secret: options.secret, alg: options.alg, realm: AUTH_REALM, ...claims })
      : jwksJwt({ keys: () => options.keys(), alg: options.alg, realm: AUTH_REALM, ...claims });

  return async (c, next) => {
    try {
      await verify(c, async () => {});
    } catch (error) {
      if (error instanceof HTTPException && error.status === 401) {
        const challenge = error.res?.headers.get("WWW-Authenticate") ?? `Bearer realm="${AUTH_REALM}"`;
        throw unauthorized(error.message === "Unauthorized" ? "invalid or expired token" : error.message, challenge, error);
      }
      // Only the key fetch throws anything else (bearer.ts lets it through).
      throw new AppError("DEPENDENCY_UNAVAILABLE", "signing keys unavailable", { retriable: true, cause: error });
    }
    const payload = c.get("jwtPayload" as never) as Record<string, unknown> | undefined;
    if (!payload || typeof payload.exp !== "number") throw invalidToken("token has no exp claim");
    if (typeof payload.sub !== "string" || !EXTERNAL_ID_PATTERN.test(payload.sub)) throw invalidToken("token sub is not a user id");
    c.set("user", { id: payload.sub, admin: payload.role === "admin" });
    await next();
  };
}
