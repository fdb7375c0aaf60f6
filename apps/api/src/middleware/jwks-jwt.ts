import { constants, createPublicKey, type KeyObject, verify } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import { bearerMiddleware } from "./bearer.ts";
import { type ClaimOptions, checkClaims, InvalidToken, splitToken } from "./jwt-checks.ts";

export type AsymmetricAlg = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "EdDSA";

export interface JwksJwtOptions extends ClaimOptions {
  readonly keys: () => Promise<HonoJsonWebKey[]>;
  /** Pinned: a token whose header names another algorithm is rejected. */
  readonly alg: AsymmetricAlg;
  readonly realm: string;
}

const KTY: Record<AsymmetricAlg, string> = {
  RS256: "RSA",
  RS384: "RSA",
  RS512: "RSA",
  PS256: "RSA",
  PS384: "RSA",
  PS512: "RSA",
  ES256: "EC",
  ES384: "EC",
  ES512: "EC",
  EdDSA: "OKP",
};
const HASH: Record<AsymmetricAlg, string | null> = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
  EdDSA: null,
};

type Jwk = { readonly kty?: unknown; readonly alg?: unknown; readonly use?: unknown };

/** A JWKS entry that may verify `alg`: right key type, `alg` absent or equal, `use` absent or sig. */
const usable = (jwk: HonoJsonWebKey, alg: AsymmetricAlg) => {
  const key = jwk as Jwk;
  return key.kty === KTY[alg] && (key.alg === undefined || key.alg === alg) && (key.use === undefined || key.use === "sig");
};

const keyObjects = new WeakMap<object, KeyObject>();
function keyObject(jwk: HonoJsonWebKey): KeyObject {
  let key = keyObjects.get(jwk);
  if (!key) {
    try {
      key = createPublicKey({ key: jwk as never, format: "jwk" });
    } catch {
      throw new InvalidToken("unusable key in the key set");
    }
    keyObjects.set(jwk, key);
  }
  return key;
}

/**
 * The key that verifies a token: the one its `kid` names; without a `kid`, the key set's only
 * key usable for the pinned algorithm (identity providers with a single signing key often
 * leave `kid` out). Several candidates and no `kid` is ambiguous: refused.
 */
export function selectKey(keys: readonly HonoJsonWebKey[], header: Record<string, unknown>, alg: AsymmetricAlg): HonoJsonWebKey {
  const candidates = keys.filter((k) => usable(k, alg));
  if (typeof header.kid === "string") {
    const named = candidates.find((k) => k.kid === header.kid);
    if (!named) throw new InvalidToken("no key with that kid");
    return named;
  }
  if ("kid" in header) throw new InvalidToken("malformed kid");
  if (candidates.length !== 1) throw new InvalidToken("token has no kid and the key set has several keys");
  return candidates[0] as HonoJsonWebKey;
}

/**
 * Bearer JWTs signed with a key from a JWKS (RS/PS/ES/EdDSA), verified with node:crypto; the
 * same header and claim checks as HMAC tokens (jwt-checks.ts).
 */
export function jwksJwt(options: JwksJwtOptions): MiddlewareHandler {
  const hash = HASH[options.alg];
  const signOptions = (key: KeyObject) =>
    options.alg.startsWith("PS")
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : options.alg.startsWith("ES")
        ? { key, dsaEncoding: "ieee-p1363" as const }
        : key;
  return bearerMiddleware(options.realm, async (token) => {
    const split = splitToken(token, options.alg);
    const jwk = selectKey(await options.keys(), split.header, options.alg);
    let ok = false;
    try {
      ok = verify(hash, Buffer.from(split.signingInput), signOptions(keyObject(jwk)), split.signature);
    } catch {
      ok = false;
    }
    if (!ok) throw new InvalidToken("bad signature");
    return checkClaims(split.payloadPart, options);
  });
}
