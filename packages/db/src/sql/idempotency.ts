import type { Query } from "./query.ts";

/*
 * Idempotency-Key records (migrations/0004). A key moves IN_FLIGHT (holding a lease) →
 * COMPLETED (with the exact response), or is deleted when its request fails without effect.
 * State names mirror the CHECK constraint.
 */
export const IDEMPOTENCY_STATES = { IN_FLIGHT: "IN_FLIGHT", COMPLETED: "COMPLETED" } as const;

export interface ClaimKeyArgs {
  readonly userId: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly leaseToken: string;
  readonly leaseMs: number;
  readonly ttlMs: number;
}

/**
 * Takes the key: inserts it IN_FLIGHT with a fresh lease, or takes over a row whose lease
 * expired (a crashed request, same fingerprint) or whose retention expired. Returns one row
 * when the caller now holds the lease, none otherwise (then read the row to see why).
 */
export const claimIdempotencyKey = (a: ClaimKeyArgs): Query => ({
  name: "idempotency.claim",
  text: `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, state, lease_token, locked_until, expires_at)
         VALUES ($1, $2, $3, 'IN_FLIGHT', $4, now() + make_interval(secs => $5::double precision / 1000),
                 now() + make_interval(secs => $6::double precision / 1000))
         ON CONFLICT (user_id, key) DO UPDATE
            SET request_fingerprint = EXCLUDED.request_fingerprint, state = 'IN_FLIGHT', lease_token = EXCLUDED.lease_token,
                locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at, created_at = now(),
                response_status = NULL, response_headers = NULL, response_body = NULL, order_id = NULL
          WHERE idempotency_keys.expires_at <= now()
             OR (idempotency_keys.state = 'IN_FLIGHT' AND idempotency_keys.locked_until <= now()
                 AND idempotency_keys.request_fingerprint = EXCLUDED.request_fingerprint)
      RETURNING lease_token AS "leaseToken"`,
  values: [a.userId, a.key, a.fingerprint, a.leaseToken, a.leaseMs, a.ttlMs],
});

/** The key as it stands, for a caller whose claim returned nothing. */
export const selectIdempotencyKey = (userId: string, key: string): Query => ({
  name: "idempotency.select",
  text: `SELECT state, request_fingerprint AS fingerprint, response_status AS "responseStatus",
                response_headers AS "responseHeaders", response_body AS "responseBody", order_id AS "orderId",
                GREATEST(0, CEIL(EXTRACT(EPOCH FROM (locked_until - now())) * 1000))::int AS "leaseRemainingMs"
           FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
  values: [userId, key],
});

export interface CompleteKeyArgs {
  readonly userId: string;
  readonly key: string;
  readonly leaseToken: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly orderId: string | null;
}

/** Stores the response; changes nothing (0 rows) unless the caller still holds the lease. */
export const completeIdempotencyKey = (a: CompleteKeyArgs): Query => ({
  name: "idempotency.complete",
  text: `UPDATE idempotency_keys
            SET state = 'COMPLETED', response_status = $4, response_headers = $5, response_body = $6, order_id = $7,
                lease_token = NULL, locked_until = NULL
          WHERE user_id = $1 AND key = $2 AND lease_token = $3 AND state = 'IN_FLIGHT'
      RETURNING 1`,
  values: [a.userId, a.key, a.leaseToken, a.status, JSON.stringify(a.headers), a.body, a.orderId],
});

/** Gives the key up after a request that had no effect, so a retry starts afresh. */
export const releaseIdempotencyKey = (userId: string, key: string, leaseToken: string): Query => ({
  name: "idempotency.release",
  text: "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND lease_token = $3 AND state = 'IN_FLIGHT'",
  values: [userId, key, leaseToken],
});

/** One batch of expired keys; SKIP LOCKED so several instances can sweep at once. */
export const deleteExpiredIdempotencyKeys = (batchSize: number): Query => ({
  name: "idempotency.delete_expired",
  text: `DELETE FROM idempotency_keys k
          USING (SELECT user_id, key FROM idempotency_keys WHERE expires_at <= now()
                  ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) e
          WHERE k.user_id = e.user_id AND k.key = e.key`,
  values: [batchSize],
});
