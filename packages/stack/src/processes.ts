import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";

/** Repository root (this file is packages/stack/src/processes.ts). */
export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface ServiceSpec {
  readonly name: string;
  /** Script path relative to the repository root, e.g. apps/api/src/main.ts. */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** URL answering 200 once the service is up. */
  readonly healthUrl?: string;
}

/** A service running as a real child process (`node <script>`), its output in a log file. */
export class ManagedProcess {
  readonly spec: ServiceSpec;
  readonly logFile: string;
  #child: ChildProcess | null = null;
  #log: WriteStream;
  #exit: Promise<number | null> = Promise.resolve(null);
  restarts = 0;

  constructor(spec: ServiceSpec, logDir: string) {
    this.spec = spec;
    this.logFile = join(logDir, `${spec.name}.log`);
    this.#log = createWriteStream(this.logFile, { flags: "a" });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [this.spec.script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    this.#exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    if (this.spec.healthUrl) await this.#waitHealthy(timeoutMs);
  }

  async #waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.spec.name} exited during start-up:\n${await this.tail()}`);
      try {
        const res = await fetch(this.spec.healthUrl as string, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.spec.name} not healthy after ${timeoutMs} ms:\n${await this.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Sends `signal`; resolves with the exit code once the process is gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.#exit;
    this.#child?.kill(signal);
    const timer = setTimeout(() => this.#child?.kill("SIGKILL"), timeoutMs);
    const code = await this.#exit;
    clearTimeout(timer);
    return code;
  }

  async restart(): Promise<void> {
    this.restarts++;
    await this.start();
  }

  async tail(lines = 30): Promise<string> {
    const text = await readFile(this.logFile, "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n");
  }

  close(): void {
    this.#log.end();
  }
}
