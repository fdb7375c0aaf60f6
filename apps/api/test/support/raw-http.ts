import { connect } from "node:net";

/** One HTTP/1.1 response parsed off a raw socket. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RawExchange {
  readonly responses: RawResponse[];
  /** The server closed the connection (or reset it) before `timeoutMs`. */
  readonly closed: boolean;
  readonly error?: string;
}

/** Parses as many complete responses as `buf` holds; returns them and the bytes consumed. */
function parseResponses(buf: Buffer, noBody = false): { responses: RawResponse[]; used: number } {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = buf.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const head = buf.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let pos = end + 4;
    let body: Buffer;
    if (noBody || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = buf.indexOf("\r\n", pos);
        if (lineEnd < 0) break;
        const size = Number.parseInt(buf.subarray(pos, lineEnd).toString("latin1"), 16);
        if (size === 0) {
          if (buf.length < lineEnd + 4) break;
          pos = lineEnd + 4;
          complete = true;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers["content-length"] ?? 0);
      if (buf.length < pos + length) break;
      body = buf.subarray(pos, pos + length);
      pos += length;
    }
    responses.push({ status, headers, body: body.toString("utf8") });
    at = pos;
  }
  return { responses, used: at };
}

/**
 * Writes `request` (raw bytes: anything a hostile client could send) on a fresh TCP connection
 * and collects responses until `expect` of them arrived, the server closed, or `timeoutMs`.
 */
export function rawExchange(
  port: number,
  /** Parts are written in order; a number waits that many milliseconds (a slow client). */
  request: Buffer | string | (Buffer | string | number)[],
  /** `head`: responses to HEAD requests (no body whatever Content-Length says). */
  options: { expect?: number; timeoutMs?: number; head?: boolean } = {},
): Promise<RawExchange> {
  const expect = options.expect ?? 1;
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: parseResponses(buf, options.head).responses, closed, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5_000);
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (parseResponses(buf, options.head).responses.length >= expect) finish(false);
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", (e) => finish(true, (e as NodeJS.ErrnoException).code ?? e.message));
    socket.on("connect", async () => {
      for (const part of Array.isArray(request) ? request : [request]) {
        if (done) return;
        if (typeof part === "number") await new Promise((r) => setTimeout(r, part));
        else socket.write(part);
      }
    });
  });
}
