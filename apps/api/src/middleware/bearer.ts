import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { InvalidToken } from "./jwt-checks.ts";

const challenge = (realm: string, error: string, description: string) =>
  new Response("Unauthorized", {
    status: 401,
    headers: { "WWW-Authenticate": `Bearer realm="${realm}",error="${error}",error_description="${description}"` },
  });

/**
 * Reads `Authorization: Bearer <token>`, verifies it with `verify` and sets `jwtPayload`;
 * throws hono's HTTPException(401)s (messages and challenges of hono's jwt middleware). Any
 * error other than InvalidToken from `verify` (a key server outage) propagates as is.
 */
export function bearerMiddleware(realm: string, verify: (token: string) => Promise<Record<string, unknown>>): MiddlewareHandler {
  return async (c, next) => {
    const credentials = c.req.raw.headers.get("Authorization");
    if (!credentials) {
      const message = "no authorization included in request";
      throw new HTTPException(401, { message, res: challenge(realm, "invalid_request", message) });
    }
    const parts = credentials.split(/\s+/);
    if (parts.length !== 2 || parts[0]?.toLowerCase() !== "bearer" || !parts[1]) {
      const message = "invalid credentials structure";
      throw new HTTPException(401, { message, res: challenge(realm, "invalid_request", message) });
    }
    let payload: Record<string, unknown>;
    try {
      payload = await verify(parts[1]);
    } catch (cause) {
      if (!(cause instanceof InvalidToken)) throw cause;
      throw new HTTPException(401, {
        message: "Unauthorized",
        res: challenge(realm, "invalid_token", "token verification failure"),
        cause,
      });
    }
    c.set("jwtPayload" as never, payload as never);
    await next();
  };
}
