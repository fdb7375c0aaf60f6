import { AppError } from "@orders/domain";

/** PostgreSQL SQLSTATEs the code reacts to; match on code (+ constraint), never message text. */
export const PG = {
  UNIQUE_VIOLATION: "23505",
  FOREIGN_KEY_VIOLATION: "23503",
  CHECK_VIOLATION: "23514",
  NOT_NULL_VIOLATION: "23502",
  SERIALIZATION_FAILURE: "40001",
  DEADLOCK_DETECTED: "40P01",
  LOCK_NOT_AVAILABLE: "55P03",
  QUERY_CANCELED: "57014",
  ADMIN_SHUTDOWN: "57P01",
  CRASH_SHUTDOWN: "57P02",
  CANNOT_CONNECT_NOW: "57P03",
  IDLE_SESSION_TIMEOUT: "57P05",
  IDLE_IN_TRANSACTION_TIMEOUT: "25P03",
} as const;

interface PgErrorLike {
  code?: string;
  constraint?: string;
}

export const pgCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null ? (error as PgErrorLike).code : undefined;

export const pgConstraint = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null ? (error as PgErrorLike).constraint : undefined;

export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  pgCode(error) === PG.UNIQUE_VIOLATION && (constraint === undefined || pgConstraint(error) === constraint);

/** SQLSTATEs that say nothing about the data: the same statement can succeed later. */
const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  PG.SERIALIZATION_FAILURE,
  PG.DEADLOCK_DETECTED,
  PG.LOCK_NOT_AVAILABLE,
  // statement_timeout / lock_timeout / pg_cancel_backend: waited on someone else's locks.
  PG.QUERY_CANCELED,
  PG.ADMIN_SHUTDOWN,
  PG.CRASH_SHUTDOWN,
  PG.CANNOT_CONNECT_NOW,
  PG.IDLE_SESSION_TIMEOUT,
  PG.IDLE_IN_TRANSACTION_TIMEOUT,
]);
/** SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many connections, disk full, out of memory). */
const TRANSIENT_CLASSES: ReadonlySet<string> = new Set(["08", "53"]);

/** Socket and DNS failures of node's net layer (also on an AggregateError of several addresses). */
const TRANSIENT_SYSCALL_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
]);

/**
 * node-postgres and pg-pool raise these without any `code`, so their text is all there is to
 * match (the one exception to "never match on message text"): the server went away mid-query,
 * a connect attempt timed out, or the pool had no connection to hand out in time.
 */
const CODELESS_CONNECTION_ERRORS: readonly RegExp[] = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout", plain "Connection terminated"
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

/**
 * Worth retrying (the whole transaction, later): conflicts, timeouts, connection loss, a server
 * shutting down or out of resources — never bad data. Looks through `cause` and AggregateError's
 * `errors`, so a wrapped database error is classified the same.
 */
export function isRetriableDbError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): boolean => {
    if (typeof e !== "object" || e === null || depth > 8 || seen.has(e)) return false;
    seen.add(e);
    const code = pgCode(e);
    if (typeof code === "string") {
      if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SYSCALL_CODES.has(code)) return true;
      if (code.length === 5 && TRANSIENT_CLASSES.has(code.slice(0, 2))) return true;
    } else if (e instanceof Error && CODELESS_CONNECTION_ERRORS.some((re) => re.test(e.message))) {
      return true;
    }
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (Array.isArray(errors) && errors.some((inner) => visit(inner, depth + 1))) return true;
    return visit(cause, depth + 1);
  };
  return visit(error, 0);
}

/**
 * The data itself is refused, for good: SQLSTATE class 22 (data exception: out of range,
 * invalid text, …) or 23 (integrity constraint violation). Retrying the same record cannot help.
 */
export function isDataRejectedDbError(error: unknown): boolean {
  const code = pgCode(error);
  return typeof code === "string" && code.length === 5 && (code.startsWith("22") || code.startsWith("23"));
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRetriableDbError(error)) {
    return new AppError("SERIALIZATION_FAILURE", "database conflict or connection loss", { retriable: true, cause: error });
  }
  return new AppError("INTERNAL", "database error", { cause: error });
}
