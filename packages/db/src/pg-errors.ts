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
  CANNOT_CONNECT_NOW: "57P03",
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

/** Worth retrying the whole transaction: conflicts and connection loss, not bad data. */
export function isRetriableDbError(error: unknown): boolean {
  const code = pgCode(error);
  if (code === PG.SERIALIZATION_FAILURE || code === PG.DEADLOCK_DETECTED) return true;
  if (code === PG.ADMIN_SHUTDOWN || code === PG.CANNOT_CONNECT_NOW) return true;
  const sysCode = (error as { code?: string } | null)?.code;
  return sysCode === "ECONNREFUSED" || sysCode === "ECONNRESET" || sysCode === "EPIPE";
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRetriableDbError(error)) {
    return new AppError("SERIALIZATION_FAILURE", "database conflict or connection loss", { retriable: true, cause: error });
  }
  return new AppError("INTERNAL", "database error", { cause: error });
}
