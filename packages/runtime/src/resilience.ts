import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";

/**
 * Every retry/timeout/breaker of the project is built here and passed in, so tests can
 * tighten them and operators find the numbers in one place.
 */
export interface CallPolicyOptions {
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Retries after the first attempt (transient errors only). */
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive failures that open the breaker. */
  readonly breakerThreshold: number;
  /** How long the breaker stays open before letting one trial call through. */
  readonly halfOpenAfterMs: number;
}

export const DEFAULT_HTTP_POLICY: CallPolicyOptions = {
  timeoutMs: 2_000,
  retries: 2,
  initialDelayMs: 50,
  maxDelayMs: 1_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 5_000,
};

/** Errors that say "trying again may work"; anything else fails at once. */
export const isTransient = (error: unknown): boolean => {
  if (error instanceof TaskCancelledError) return true; // our per-attempt timeout fired
  const e = error as { retriable?: unknown } | null;
  return typeof e?.retriable === "boolean" ? e.retriable : false;
};

/**
 * timeout (innermost, per attempt) → retry with exponential backoff (transient only) →
 * circuit breaker (outermost: an open breaker fails fast with BrokenCircuitError, no retries).
 */
export function buildCallPolicy(
  options: CallPolicyOptions,
  shouldRetry: (error: unknown) => boolean = isTransient,
): {
  policy: IPolicy;
  breaker: ReturnType<typeof circuitBreaker>;
} {
  const breaker = circuitBreaker(handleWhen(shouldRetry), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  const retryPolicy = retry(handleWhen(shouldRetry), {
    maxAttempts: options.retries,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs }),
  });
  const perAttemptTimeout = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  return { policy: wrap(breaker, retryPolicy, perAttemptTimeout), breaker };
}
