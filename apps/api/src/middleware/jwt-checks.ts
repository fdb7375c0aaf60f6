/*
 * The checks every accepted JWT passes, whatever signs it (hmac-jwt.ts, jwks-jwt.ts): the
 * header's `alg` equals the pinned one; `typ` absent, `JWT`, or RFC 9068's `at+jwt` (with or
 * without `application/`); no `crit`; `exp` REQUIRED; `nbf`/`iat` when present; `iss`/`aud`
 * when configured. Time claims allow `leewaySeconds` of clock skew either way.
 */
export class InvalidToken extends Error {}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TYPES = new Set(["jwt", "at+jwt"]);

export interface ClaimOptions {
  readonly issuer?: string;
  readonly audience?: string;
  /** Allowed clock skew for exp/nbf/iat (seconds). */
  readonly leewaySeconds?: number;
}

export interface SplitToken {
  readonly header: Record<string, unknown>;
  readonly payloadPart: string;
  /** `header.payload`: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const object = (encoded: string | undefined, what: string): Record<string, unknown> => {
  if (!encoded || !BASE64URL.test(encoded)) throw new InvalidToken(`malformed ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    throw new InvalidToken(`malformed ${what}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidToken(`malformed ${what}`);
  return value as Record<string, unknown>;
};

const acceptedTyp = (typ: unknown) => typeof typ === "string" && TYPES.has(typ.toLowerCase().replace(/^application\//, ""));
const finite = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);

/** Splits a compact JWS and checks its header against the pinned algorithm. */
export function splitToken(token: string, alg: string): SplitToken {
  const parts = token.split(".");
  if (parts.length !== 3) throw new InvalidToken("malformed token");
  const [h, p, s] = parts as [string, string, string];
  const header = object(h, "header");
  if (header.alg !== alg) throw new InvalidToken("unexpected algorithm");
  if ("typ" in header && !acceptedTyp(header.typ)) throw new InvalidToken("unexpected typ");
  if ("crit" in header) throw new InvalidToken("unsupported crit header");
  if (!BASE64URL.test(s)) throw new InvalidToken("malformed signature");
  return { header, payloadPart: p, signingInput: `${h}.${p}`, signature: Buffer.from(s, "base64url") };
}

/** The claims of a token whose signature was verified, or InvalidToken. */
export function checkClaims(
  payloadPart: string,
  options: ClaimOptions,
  nowSeconds = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const claims = object(payloadPart, "payload");
  const leeway = options.leewaySeconds ?? 0;
  if (!finite(claims.exp) || claims.exp + leeway <= nowSeconds) throw new InvalidToken("expired or no exp");
  if (claims.nbf !== undefined && (!finite(claims.nbf) || claims.nbf - leeway > nowSeconds)) throw new InvalidToken("not yet valid");
  if (claims.iat !== undefined && (!finite(claims.iat) || claims.iat - leeway > nowSeconds)) throw new InvalidToken("issued in the future");
  if (options.issuer !== undefined && claims.iss !== options.issuer) throw new InvalidToken("wrong issuer");
  if (options.audience !== undefined) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(options.audience)) throw new InvalidToken("wrong audience");
  }
  return claims;
}
