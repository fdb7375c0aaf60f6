import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type Problem, problemType } from "./problem.ts";

/*
 * Errors Node's HTTP parser raises before a request reaches Hono (headers too large, a
 * malformed request line, a bad Content-Length or chunk, a NUL in a header): Node's default
 * answer is a bare status line with no body. These answer RFC 9457 problem+json like every
 * other error, and close the connection (the parser cannot resynchronise on that stream).
 */
const BY_CODE: Record<string, { status: number; reason: string; slug: string; title: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: "Request Header Fields Too Large",
    slug: "headers-too-large",
    title: "Request header fields too large",
    detail: "the request's headers are larger than the server accepts",
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: "Payload Too Large",
    slug: "payload-too-large",
    title: "Request body too large",
    detail: "the chunk extensions are larger than the server accepts",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    slug: "request-timeout",
    title: "Request timeout",
    detail: "the request was not received in time",
  },
};
const MALFORMED = {
  status: 400,
  reason: "Bad Request",
  slug: "bad-request",
  title: "Bad request",
  detail: "the request is not well-formed HTTP/1.1",
};

/** The raw HTTP/1.1 response for a parser error (exported for tests). */
export function clientErrorResponse(code: string | undefined): string {
  const m = (code && BY_CODE[code]) || MALFORMED;
  const problem: Problem = { type: problemType(m.slug), title: m.title, status: m.status, detail: m.detail };
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${m.status} ${m.reason}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "X-Content-Type-Options: nosniff",
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** A `clientError` listener for node:http servers. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const message = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  // A reset socket, or a response already under way, cannot take another answer.
  if (error.code === "ECONNRESET" || !socket.writable || message?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error.code));
}

const problemBody = (status: number, slug: string, title: string, detail: string) =>
  JSON.stringify({ type: problemType(slug), title, status, detail } satisfies Problem);
const PROBLEM_HEADERS = { "Content-Type": "application/problem+json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

/**
 * The adapter's errorHandler: a request Node parsed but the adapter cannot turn into a URL
 * (a bad Host header, a request target that is not a path, a backslash in the path) is a 400
 * problem; the adapter's default is an empty 400.
 */
export function adapterErrorResponse(error: unknown): Response {
  const requestError = error instanceof Error && error.name === "RequestError";
  const [status, slug, title, detail] = requestError
    ? [400, "bad-request", "Bad request", `the request cannot be routed: ${error.message}`]
    : [500, "internal", "Internal server error", "the server failed to handle the request"];
  return new Response(problemBody(status as number, slug as string, title as string, detail as string), {
    status: status as number,
    headers: PROBLEM_HEADERS,
  });
}

/** `Expect:` other than 100-continue: 417 as a problem (Node's default has no body). */
export function answerExpectation(_req: IncomingMessage, res: ServerResponse): void {
  const body = problemBody(417, "expectation-failed", "Expectation failed", "only Expect: 100-continue is supported");
  res.writeHead(417, { ...PROBLEM_HEADERS, "Content-Length": Buffer.byteLength(body), Connection: "close" });
  res.end(body);
}
