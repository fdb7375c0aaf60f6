import * as v from "valibot";
import { AppError, type FieldIssue } from "../errors.ts";

/** valibot issues → `{ pointer, detail }` naming each bad field (RFC 6901 pointers). */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  return issues.map((issue) => {
    const path = issue.path?.map((p) => String(p.key).replaceAll("~", "~0").replaceAll("/", "~1")) ?? [];
    return { pointer: `/${path.join("/")}`, detail: issue.message };
  });
}

/** Parses `input` or throws VALIDATION_FAILED carrying every bad field. */
export function parseOrThrow<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: false });
  if (result.success) return result.output;
  throw new AppError("VALIDATION_FAILED", `invalid ${what}`, { issues: toFieldIssues(result.issues) });
}
