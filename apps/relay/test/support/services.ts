import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { isListeningAnnouncement } from "@orders/runtime";

/**
 * The real entry points (apps/<name>/src/main.ts) as child processes, for tests that fail a
 * dependency under them: each announces its URL over IPC (announceListening) and keeps its
 * output for the failure message.
 */
export const ENTRY_POINTS = {
  api: fileURLToPath(new URL("../../../api/src/main.ts", import.meta.url)),
  relay: fileURLToPath(new URL("../../src/main.ts", import.meta.url)),
  consumer: fileURLToPath(new URL("../../../consumer/src/main.ts", import.meta.url)),
} as const;

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  /** Exit code, or null while running (or when ended by a signal). */
  exitCode(): number | null;
  running(): boolean;
  /** The last lines of stdout and stderr. */
  tail(lines?: number): string;
  /** SIGTERM and the exit code. */
  terminate(): Promise<number | null>;
}

export async function startService(name: keyof typeof ENTRY_POINTS, env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, [ENTRY_POINTS[name]], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split("\n").filter(Boolean));
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exited = true;
      resolve(code);
    }),
  );
  const tail = (lines = 40) => `--- ${name} (exit ${child.exitCode ?? child.signalCode ?? "-"}) ---\n${output.slice(-lines).join("\n")}`;
  const url = await new Promise<string>((resolve, reject) => {
    child.on("message", (message) => {
      if (isListeningAnnouncement(message)) resolve(message.url);
    });
    void exit.then((code) => reject(new Error(`${name} exited ${code} before listening\n${tail()}`)));
  });
  return {
    name,
    child,
    url,
    exitCode: () => child.exitCode,
    running: () => !exited,
    tail,
    terminate: async () => {
      if (!exited) child.kill("SIGTERM");
      return exit;
    },
  };
}

/** GET status code, or 0 when nothing answers. */
export const statusOf = async (url: string): Promise<number> =>
  fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.body?.cancel().then(() => r.status) ?? r.status,
    () => 0,
  );

/**
 * Polls `check` until it holds, at most `attempts` times `everyMs` apart. Bounded by a count,
 * never asserted on elapsed time: a loaded machine may need every attempt.
 */
export async function eventually(what: string, check: () => Promise<boolean>, attempts = 300, everyMs = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`never happened: ${what}`);
}

/** An HS256 JWT for the API (the test's own signer; the relay package does not depend on hono). */
export function hs256Token(secret: string, claims: Record<string, unknown>): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iat: now, exp: now + 3_600, ...claims })}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

/** The inventory service's quote (`POST /quotes`) as a stub that prices every line at 10.00. */
export async function startQuoteStub(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const { items } = JSON.parse(body || "{}") as { items?: { productId: string; quantity: number }[] };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ currency: "INR", lines: (items ?? []).map((l) => ({ ...l, unitPrice: "10.00" })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
