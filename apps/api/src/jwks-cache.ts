import type { JsonWebKeyWithKid } from "./middleware/auth.ts";

/**
 * JWKS keys fetched once and kept `cacheSeconds` (never refetched more than once per 10 s,
 * so a flood of forged tokens cannot hammer the identity provider; hono's jwk middleware
 * given a URL would fetch it on every request). Stale keys are used while the URL fails.
 */
export function createJwksCache(url: string, options: { cacheSeconds: number; timeoutMs?: number }): () => Promise<JsonWebKeyWithKid[]> {
  let keys: JsonWebKeyWithKid[] | undefined;
  let fetchedAt = 0;
  let inFlight: Promise<JsonWebKeyWithKid[]> | undefined;

  const refresh = async (): Promise<JsonWebKeyWithKid[]> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    if (!res.ok) throw new Error(`JWKS fetch failed with HTTP ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error("JWKS response has no keys array");
    keys = body.keys as JsonWebKeyWithKid[];
    fetchedAt = Date.now();
    return keys;
  };

  return async () => {
    const age = Date.now() - fetchedAt;
    if (keys && age < options.cacheSeconds * 1000) return keys;
    if (keys && age < 10_000) return keys;
    inFlight ??= refresh().finally(() => {
      inFlight = undefined;
    });
    try {
      return await inFlight;
    } catch (error) {
      if (keys) return keys; // stale keys beat an outage of the key server
      // A plain Error: hono's jwk middleware rethrows exactly those (anything else becomes a 401).
      throw new Error("signing keys unavailable", { cause: error });
    }
  };
}
