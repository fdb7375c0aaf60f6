import { createHash, randomUUID } from "node:crypto";
import { claimIdempotencyKey, type Pool, releaseIdempotencyKey } from "@orders/db";
import { AppError } from "@orders/domain";
import type { Logger } from "@orders/runtime";
import { withHeaders } from "../middleware/problem.ts";

export interface IdempotencySettings {
  /** How long a claim blocks others before a retry may take it over (crash recovery). */
  readonly leaseMs: number;
  /** Retention of a key (≥ 24 h in production). */
  readonly ttlMs: number;
}

/** A response exactly as first sent: replayed byte for byte. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface KeyScope {
  readonly userId: string;
  readonly key: string;
}

export type Begin =
  | { readonly kind: "claimed"; readonly leaseToken: string }
  | { readonly kind: "replay"; readonly response: StoredResponse };

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What "the same request" means: same operation and same validated body. */
export const requestFingerprint = (operation: string, body: unknown): string =>
  createHash("sha256").update(operation).update("\n").update(canonical(body)).digest("hex");

/**
 * Step 1 of an idempotent request: claim the key with a lease (a committed statement of its
 * own, visible to every concurrent request at once), or learn that the request already ran
 * (replay), runs right now (409) or ran with another body (422).
 */
export async function beginIdempotent(pool: Pool, scope: KeyScope, fingerprint: string, settings: IdempotencySettings): Promise<Begin> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const leaseToken = randomUUID();
    const outcome = await claimIdempotencyKey(pool, {
      ...scope,
      fingerprint,
      leaseToken,
      leaseMs: settings.leaseMs,
      ttlMs: settings.ttlMs,
    });
    if (outcome.claimed) return { kind: "claimed", leaseToken };
    const existing = outcome.existing;
    if (!existing) continue; // deleted between the two statements (released or swept): claim again
    if (existing.fingerprint !== fingerprint) {
      throw new AppError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request body");
    }
    if (existing.state === "COMPLETED" && existing.responseStatus !== null && existing.responseBody !== null) {
      return {
        kind: "replay",
        response: { status: existing.responseStatus, headers: existing.responseHeaders ?? {}, body: existing.responseBody },
      };
    }
    const retryAfter = Math.max(1, Math.ceil(existing.leaseRemainingMs / 1000));
    throw withHeaders(new AppError("IDEMPOTENCY_KEY_IN_FLIGHT", "a request with this Idempotency-Key is still being processed"), {
      "Retry-After": String(retryAfter),
    });
  }
  throw new AppError("CONFLICT", "the Idempotency-Key keeps changing hands; try again", { retriable: true });
}

/** A request that failed without effect gives its key back, so the client's retry starts afresh. */
export const releaseKey = (pool: Pool, scope: KeyScope, leaseToken: string) =>
  releaseIdempotencyKey(pool, scope.userId, scope.key, leaseToken);

/** Thrown when completing the key finds the lease no longer ours. */
export class LeaseLost extends Error {}

/**
 * The failure path of an idempotent request after its key was claimed: a lost lease means
 * another request took the key over and owns the outcome (409); any other error wrote nothing,
 * so the key is given back (best effort) and the error rethrown.
 */
async function failClaimedRequest(
  error: unknown,
  deps: { readonly pool: Pool; readonly logger: Logger },
  scope: KeyScope,
  leaseToken: string,
): Promise<never> {
  if (error instanceof LeaseLost) {
    // Our lease ran out and another request took the key over: it owns the outcome.
    throw new AppError("IDEMPOTENCY_KEY_IN_FLIGHT", "a request with this Idempotency-Key took over after this one stalled");
  }
  // Nothing was written: give the key back so that the client's retry is not blocked.
  await releaseKey(deps.pool, scope, leaseToken).catch((releaseError: unknown) =>
    deps.logger.warn("could not release idempotency key; it frees itself when the lease expires", { err: releaseError }),
  );
  throw error;
}

/**
 * An idempotent request from claim to stored response: claim the key (or replay / 409 / 422),
 * run `work` with the lease, and on failure take the failure path above. `work` completes the
 * key with its response (throwing LeaseLost when the lease is no longer ours).
 */
export async function runIdempotently(
  deps: { readonly pool: Pool; readonly logger: Logger; readonly idempotency: IdempotencySettings },
  scope: KeyScope,
  fingerprint: string,
  work: (leaseToken: string) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const begin = await beginIdempotent(deps.pool, scope, fingerprint, deps.idempotency);
  if (begin.kind === "replay") return { ...begin.response, replayed: true };
  try {
    return { ...(await work(begin.leaseToken)), replayed: false };
  } catch (error) {
    return await failClaimedRequest(error, deps, scope, begin.leaseToken);
  }
}
