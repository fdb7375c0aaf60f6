import { isRetriableDbError } from "@orders/db";
import { AppError, type ErrorCode, type FieldIssue } from "@orders/domain";
import type { Logger } from "@orders/runtime";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env.ts";

/**
 * The one place where errors become HTTP: RFC 9457 `application/problem+json` with `type`,
 * `title`, `status`, `detail`, and `errors` naming each bad field. AppError codes map to
 * statuses here and nowhere else; anything unexpected is a 500 that reveals nothing.
 */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldIssue[];
}

const CODE_MAP: Record<ErrorCode, { status: number; slug: string; title: string }> = {
  VALIDATION_FAILED: { status: 400, slug: "validation-failed", title: "Invalid request" },
  INVALID_MONEY: { status: 400, slug: "validation-failed", title: "Invalid request" },
  UNAUTHORIZED: { status: 401, slug: "unauthorized", title: "Authentication required" },
  FORBIDDEN: { status: 403, slug: "forbidden", title: "Forbidden" },
  NOT_FOUND: { status: 404, slug: "not-found", title: "Not found" },
  CONFLICT: { status: 409, slug: "conflict", title: "Conflict" },
  ILLEGAL_TRANSITION: { status: 409, slug: "not-cancellable", title: "Order cannot change from its current status" },
  IDEMPOTENCY_KEY_IN_FLIGHT: {
    status: 409,
    slug: "idempotency-key-in-flight",
    title: "A request with this Idempotency-Key is still running",
  },
  INVALID_ADJUSTMENT: { status: 422, slug: "invalid-adjustment", title: "The order cannot take these lines or quantities" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, slug: "idempotency-key-reused", title: "Idempotency-Key reused with a different request" },
  UNKNOWN_PRODUCT: { status: 422, slug: "unknown-product", title: "Unknown product" },
  INSUFFICIENT_STOCK: { status: 422, slug: "insufficient-stock", title: "Not enough stock" },
  DEPENDENCY_UNAVAILABLE: { status: 503, slug: "dependency-unavailable", title: "A dependency is unavailable" },
  SERIALIZATION_FAILURE: { status: 503, slug: "try-again", title: "Temporary conflict, try again" },
  CONFIG_INVALID: { status: 500, slug: "internal", title: "Internal server error" },
  INTERNAL: { status: 500, slug: "internal", title: "Internal server error" },
};

const STATUS_MAP: Record<number, { slug: string; title: string }> = {
  400: { slug: "bad-request", title: "Bad request" },
  401: { slug: "unauthorized", title: "Authentication required" },
  404: { slug: "not-found", title: "Not found" },
  405: { slug: "method-not-allowed", title: "Method not allowed" },
  413: { slug: "payload-too-large", title: "Request body too large" },
  415: { slug: "unsupported-media-type", title: "Unsupported media type" },
  429: { slug: "rate-limited", title: "Too many requests" },
};

export const problemType = (slug: string) => `/problems/${slug}`;

/** Extra response headers an error carries (WWW-Authenticate, Retry-After, Allow). */
const extraHeaders = new WeakMap<Error, Record<string, string>>();
export function withHeaders<E extends Error>(error: E, headers: Record<string, string>): E {
  extraHeaders.set(error, { ...extraHeaders.get(error), ...headers });
  return error;
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), { status: problem.status, headers: { ...headers, "Content-Type": PROBLEM_CONTENT_TYPE } });
}

/**
 * A database error that says "not now" rather than "never" — connection refused or cut (a
 * restart, a failover), the pool's connect timeout, admin shutdown, a statement or lock timeout,
 * a serialization conflict — wherever it was thrown and however wrapped: the client should try
 * again, so it is a 503 with Retry-After, not a 500 (isRetriableDbError is the one classifier).
 */
const DATABASE_UNAVAILABLE = new AppError("DEPENDENCY_UNAVAILABLE", "the database is unavailable; try again shortly", {
  retriable: true,
});
const isDatabaseUnavailable = (error: unknown) =>
  (!(error instanceof AppError) || error.code === "INTERNAL") && !(error instanceof HTTPException) && isRetriableDbError(error);

export function toProblem(error: unknown, instance: string): { problem: Problem; headers: Record<string, string> } {
  const headers = error instanceof Error ? { ...extraHeaders.get(error) } : {};
  if (isDatabaseUnavailable(error)) return toProblem(DATABASE_UNAVAILABLE, instance);
  if (error instanceof AppError) {
    const m = CODE_MAP[error.code];
    const internal = m.status >= 500 && m.status !== 503;
    const problem: Problem = {
      type: problemType(m.slug),
      title: m.title,
      status: m.status,
      detail: internal ? "the server failed to handle the request" : error.message,
      instance,
      ...(error.issues.length > 0 && !internal ? { errors: error.issues } : {}),
    };
    if (m.status === 401 && !headers["WWW-Authenticate"]) headers["WWW-Authenticate"] = `Bearer realm="orders"`;
    if (m.status === 503 && !headers["Retry-After"]) headers["Retry-After"] = "1";
    return { problem, headers };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const m = STATUS_MAP[error.status] ?? { slug: "bad-request", title: "Bad request" };
    return {
      problem: { type: problemType(m.slug), title: m.title, status: error.status, detail: error.message || m.title, instance },
      headers,
    };
  }
  const m = CODE_MAP.INTERNAL;
  return {
    problem: { type: problemType(m.slug), title: m.title, status: 500, detail: "the server failed to handle the request", instance },
    headers: {},
  };
}

export function errorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const { problem, headers } = toProblem(error, c.req.path);
    if (problem.status === 503) {
      // An outage, not a bug: one line without a stack (the 503 count is in the metrics).
      const cause = error instanceof Error ? error.message : String(error);
      logger.warn("request refused: dependency unavailable", { requestId: c.get("requestId"), path: c.req.path, cause });
    } else if (problem.status >= 500) logger.error("request failed", { err: error, requestId: c.get("requestId"), path: c.req.path });
    return problemResponse(problem, headers);
  };
}

/** 404 for unknown paths, 405 (with Allow) for a known path with another method. */
export function notFoundHandler(allowedMethods: (path: string) => string[]): NotFoundHandler<AppEnv> {
  return (c: Context<AppEnv>) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) {
      const error = withHeaders(new HTTPException(405, { message: `${c.req.method} is not allowed here` }), { Allow: allowed.join(", ") });
      const { problem, headers } = toProblem(error, c.req.path);
      return problemResponse(problem, headers);
    }
    const { problem, headers } = toProblem(new HTTPException(404, { message: "no such resource" }), c.req.path);
    return problemResponse(problem, headers);
  };
}
