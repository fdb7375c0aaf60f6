import type { MiddlewareHandler } from "hono";

const declaresBody = (headers: Headers) => {
  const length = headers.get("content-length");
  return headers.has("transfer-encoding") || (length !== null && length !== "0");
};

/**
 * A response sent before its request's body was read (413 on Content-Length, 401 before the
 * body, 415, 404/405 …) says `Connection: close` (issue 12, defect 2). The node adapter drains
 * an unread body for at most 500 ms and then drops the socket; on a slow upload that silently
 * lost the next request on a connection the response had promised to keep alive. Reading an
 * unbounded body just to keep a connection is what the body limit exists to avoid, so close.
 */
export function closeIfBodyUnread(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (declaresBody(c.req.raw.headers) && !c.req.raw.bodyUsed) c.res.headers.set("Connection", "close");
  };
}
