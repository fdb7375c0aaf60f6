/**
 * The one error type of the project. `code` is stable and machine-readable (clients, logs and
 * HTTP mapping switch on it, never on the message); `retriable` tells a caller whether trying
 * the same thing again may succeed.
 */
export type ErrorCode =
  | "VALIDATION_FAILED"
  | "INVALID_MONEY"
  | "ILLEGAL_TRANSITION"
  | "NOT_FOUND"
  | "FORBIDDEN"
  | "UNAUTHORIZED"
  | "CONFLICT"
  /** A partial cancellation, return or receipt whose lines or quantities the order cannot take. */
  | "INVALID_ADJUSTMENT"
  | "IDEMPOTENCY_KEY_IN_FLIGHT"
  | "IDEMPOTENCY_KEY_REUSED"
  | "UNKNOWN_PRODUCT"
  | "INSUFFICIENT_STOCK"
  | "DEPENDENCY_UNAVAILABLE"
  | "CONFIG_INVALID"
  | "SERIALIZATION_FAILURE"
  | "INTERNAL";

export interface FieldIssue {
  /** JSON-pointer-like path of the bad field, e.g. `/items/0/quantity`. */
  readonly pointer: string;
  readonly detail: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly issues: readonly FieldIssue[];

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown; issues?: readonly FieldIssue[] } = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.issues = options.issues ?? [];
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
