import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Pool } from "@orders/db";
import type { Logger } from "@orders/runtime";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { AppEnv } from "../env.ts";
import { problemResponse, toProblem, withHeaders } from "./problem.ts";

/*
 * Rate limits shared by every API instance (issue 12): rate-limiter-flexible's PostgreSQL store
 * (table rate_limits, migration 0060) with fixed windows, per client address before
 * authentication, per authenticated user after it, and a separate, smaller budget of failed
 * authentications per address (a bad-token flood is refused before any signature check).
 * Answers carry the IETF RateLimit-Policy / RateLimit fields (draft-ietf-httpapi-ratelimit-headers);
 * a refusal is 429 problem+json with Retry-After.
 */
export interface RateLimitSettings {
  readonly windowSeconds: number;
  /** Requests per window per client address (0 = no limit). */
  readonly perAddress: number;
  /** Requests per window per authenticated user (0 = no limit). */
  readonly perUser: number;
  /** 401s per window per client address before its requests are refused unverified (0 = no limit). */
  readonly authFailuresPerAddress: number;
  /** Reverse proxies in front of the API whose X-Forwarded-For entries are trusted (0 = none: the socket's peer). */
  readonly trustProxyHops: number;
}

interface Limiter {
  readonly name: string;
  readonly points: number;
  readonly windowSeconds: number;
  readonly store: RateLimiterPostgres;
}

export interface RateLimiters {
  readonly settings: RateLimitSettings;
  readonly address?: Limiter;
  readonly user?: Limiter;
  readonly authFailures?: Limiter;
}

export function createRateLimiters(pool: Pool, settings: RateLimitSettings, logger?: Logger): RateLimiters {
  const make = (name: string, points: number): Limiter | undefined => {
    if (points <= 0) return undefined;
    const common = { keyPrefix: name, points, duration: settings.windowSeconds };
    const store = new RateLimiterPostgres({
      ...common,
      storeClient: pool,
      tableName: "rate_limits",
      tableCreated: true,
      clearExpiredByTimeout: true,
      // A key over its limit is refused from memory until its window ends: a flood costs no queries.
      inMemoryBlockOnConsumed: points + 1,
      inMemoryBlockDuration: settings.windowSeconds,
      // PostgreSQL unreachable: count per instance rather than fail every request.
      insuranceLimiter: new RateLimiterMemory(common),
    });
    return { name, points, windowSeconds: settings.windowSeconds, store };
  };
  logger?.info("rate limits", { ...settings });
  return {
    settings,
    ...optional("address", make("addr", settings.perAddress)),
    ...optional("user", make("user", settings.perUser)),
    ...optional("authFailures", make("authfail", settings.authFailuresPerAddress)),
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

/** The client's address: the socket's peer, or the X-Forwarded-For entry `hops` proxies back. */
export function clientAddress(c: Context, trustProxyHops: number): string {
  const peer = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress ?? "unknown";
  if (trustProxyHops <= 0) return peer;
  const forwarded = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const chain = [...forwarded, peer];
  const candidate = chain[Math.max(0, chain.length - 1 - trustProxyHops)];
  return candidate && isIP(candidate) ? candidate : peer;
}

interface State {
  readonly limiter: Limiter;
  readonly remaining: number;
  readonly resetSeconds: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
const quote = (name: string) => `"${name}"`;

/** RateLimit-Policy lists every policy applied; RateLimit reports the tightest one. */
function headers(states: readonly State[]): Record<string, string> {
  if (states.length === 0) return {};
  const tightest = states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  return {
    "RateLimit-Policy": states.map((s) => `${quote(s.limiter.name)};q=${s.limiter.points};w=${s.limiter.windowSeconds}`).join(", "),
    RateLimit: `${quote(tightest.limiter.name)};r=${tightest.remaining};t=${tightest.resetSeconds}`,
  };
}

async function consume(limiter: Limiter, key: string): Promise<{ allowed: boolean; state: State }> {
  try {
    const res = await limiter.store.consume(key);
    return { allowed: true, state: { limiter, remaining: res.remainingPoints, resetSeconds: seconds(res.msBeforeNext) } };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      return { allowed: false, state: { limiter, remaining: 0, resetSeconds: Math.max(1, seconds(rejection.msBeforeNext)) } };
    }
    throw rejection; // neither store nor insurance could count: the error handler's 503
  }
}

function tooMany(c: Context, states: readonly State[], refused: State, detail: string): Response {
  const error = withHeaders(new HTTPException(429, { message: detail }), {
    ...headers(states),
    "Retry-After": String(refused.resetSeconds),
  });
  const { problem, headers: h } = toProblem(error, c.req.path);
  return problemResponse(problem, h);
}

const STATES = "rateLimitStates" as never;
const statesOf = (c: Context): State[] => {
  let states = c.get(STATES) as State[] | undefined;
  if (!states) {
    states = [];
    c.set(STATES, states as never);
  }
  return states;
};
const stampHeaders = (c: Context) => {
  for (const [k, v] of Object.entries(headers(statesOf(c)))) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
};

/** Before authentication: the per-address budget, and the failed-authentication budget. */
export function addressRateLimit(limiters: RateLimiters): MiddlewareHandler<AppEnv> {
  const { address, authFailures, settings } = limiters;
  return async (c, next) => {
    const ip = clientAddress(c, settings.trustProxyHops);
    if (authFailures) {
      const failed = await authFailures.store.get(ip).catch(() => null);
      if (failed && failed.consumedPoints >= authFailures.points) {
        const state = { limiter: authFailures, remaining: 0, resetSeconds: Math.max(1, seconds(failed.msBeforeNext)) };
        return tooMany(c, [state], state, "too many failed authentications from this address; try again later");
      }
    }
    if (address) {
      const { allowed, state } = await consume(address, ip);
      statesOf(c).push(state);
      if (!allowed) return tooMany(c, statesOf(c), state, "too many requests from this address; try again later");
    }
    await next();
    if (authFailures && c.res.status === 401) await consume(authFailures, ip).catch(() => undefined);
    stampHeaders(c);
  };
}

/** After authentication: the per-user budget. */
export function userRateLimit(limiters: RateLimiters): MiddlewareHandler<AppEnv> {
  const { user } = limiters;
  return async (c, next) => {
    if (!user) return next();
    const { allowed, state } = await consume(user, c.get("user").id);
    statesOf(c).push(state);
    if (!allowed) return tooMany(c, statesOf(c), state, "too many requests for this user; try again later");
    await next();
    stampHeaders(c);
  };
}
