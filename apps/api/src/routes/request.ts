import { AppError, isUuid, parseOrThrow, toFieldIssues } from "@orders/domain";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import type { AppEnv, AuthUser } from "../env.ts";

/* What the order routes share when reading a request: path and header values, the page query, cursors, the body limit. */

/** A path parameter or header, or VALIDATION_FAILED pointing at `/<name>`. */
export const param = <S extends v.GenericSchema>(schema: S, value: string | undefined, name: string): v.InferOutput<S> => {
  const r = v.safeParse(schema, value);
  if (r.success) return r.output;
  throw new AppError("VALIDATION_FAILED", `invalid ${name}`, {
    issues: toFieldIssues(r.issues).map((i) => ({ pointer: `/${name}`, detail: i.detail })),
  });
};

/** The query string, or VALIDATION_FAILED "invalid query" with every bad field. */
export const query = <S extends v.GenericSchema>(schema: S, c: Context<AppEnv>): v.InferOutput<S> => {
  try {
    return parseOrThrow(schema, c.req.query(), "query");
  } catch (error) {
    if (error instanceof AppError && error.code === "VALIDATION_FAILED")
      throw new AppError("VALIDATION_FAILED", "invalid query", { issues: error.issues });
    throw error;
  }
};

/** A customer lists only their own orders; an admin anyone's. */
export const assertMayList = (user: AuthUser, userId: string): void => {
  if (!user.admin && user.id !== userId) throw new AppError("FORBIDDEN", "you may list only your own orders");
};

/** Cursors are opaque: base64url of the last id of the previous page. */
export const encodeCursor = (id: string) => Buffer.from(id, "utf8").toString("base64url");
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!isUuid(id))
    throw new AppError("VALIDATION_FAILED", "invalid cursor", {
      issues: [{ pointer: "/cursor", detail: "not a cursor from a previous page" }],
    });
  return id;
}

/**
 * Bodies over `maxBytes` are refused with 413 before they are read. A body with a Content-Length
 * (node's parser reads exactly that many bytes) is judged by the header alone, without touching
 * the request's web stream: hono's bodyLimit asks for `c.req.raw.body`, which makes
 * @hono/node-server build a full Request and a ReadableStream per request and then read the body
 * through it — ~4 % of a POST's CPU in issue 17's profile — instead of straight from the socket.
 * Chunked bodies still go through hono's bodyLimit, which counts while it reads.
 */
export const bodyLimitOf = (maxBytes: number): MiddlewareHandler => {
  const tooLarge = () => {
    throw new HTTPException(413, { message: `the body must not exceed ${maxBytes} bytes` });
  };
  const counting = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined && /^\d{1,15}$/.test(length)) {
      if (Number(length) > maxBytes) tooLarge();
      return next();
    }
    return counting(c, next);
  };
};
