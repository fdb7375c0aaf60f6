import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isListeningAnnouncement } from "@orders/runtime";

/** Repository root (this file is devkit/stack/src/processes.ts). */
export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

export interface ServiceSpec {
  readonly name: string;
  /** Script path relative to the repository root, e.g. apps/api/src/main.ts. */
  readonly script: string;
  /**
   * The service's environment. Its port variable should be "0": the service binds any free port
   * and announces its URL (runtime's `announceListening`), so no port is chosen here ahead of
   * time — another process could take it before the service binds it.
   */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The V8 flags an app is started with everywhere (its `node-options` file beside `src/`, e.g.
 * apps/relay/node-options: the heap bounds of issue 17): the image's CMD reads the same file,
 * so tests, the demo and the benchmarks run the apps under the limits production has. `root`: the
 * checkout `script` is in (a bench may run another one). Its `--import` resolves from the
 * process's working directory: start the app from `root` (or the app's directory).
 */
export function nodeOptionsOf(script: string, root: string = REPO_ROOT): string[] {
  const file = join(root, script.replace(/\/src\/[^/]+$/, ""), "node-options");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split(/\s+/).filter(Boolean);
}

/**
 * Warms the compile cache for `script` as the image does at build time (Dockerfile): the app runs
 * once with its node-options (the cache is kept per set of V8 flags) and no app variables, loads
 * its modules, fails its config check and exits, writing the cache. What measures memory calls it
 * first, so an app never pays for Node's TypeScript stripper there when it would not in the image.
 */
export function warmCompileCache(script: string, root: string = REPO_ROOT): void {
  const { PATH, NODE_OPTIONS, NODE_COMPILE_CACHE } = process.env;
  const env = Object.fromEntries(Object.entries({ PATH, NODE_OPTIONS, NODE_COMPILE_CACHE }).filter(([, v]) => v !== undefined));
  const run = spawnSync(process.execPath, [...nodeOptionsOf(script, root), script], { cwd: root, env, encoding: "utf8", timeout: 120_000 });
  if (!/invalid configuration/.test(`${run.stderr}${run.stdout}`)) {
    throw new Error(`warming the compile cache: ${script} did not stop at its config check:\n${run.stderr}${run.stdout}`);
  }
}

/**
 * A service running as a real child process (`node <script>`), its output in a log file.
 * `start()` resolves once the service announced where it listens and answers `/healthz` there.
 */
export class ManagedProcess {
  readonly spec: ServiceSpec;
  readonly logFile: string;
  #child: ChildProcess | null = null;
  #log: WriteStream;
  #exit: Promise<number | null> = Promise.resolve(null);
  #url: string | null = null;
  #stopping = false;
  #paused = false;
  /** Exits nobody asked for (crashes), newest last: what a failing test should report. */
  readonly unexpectedExits: string[] = [];
  restarts = 0;

  constructor(spec: ServiceSpec, logDir: string) {
    this.spec = spec;
    this.logFile = join(logDir, `${spec.name}.log`);
    this.#log = createWriteStream(this.logFile, { flags: "a" });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Base URL the running service announced (it changes when the process restarts). */
  get url(): string {
    if (!this.#url) throw new Error(`${this.spec.name} has not announced a URL (not started?)`);
    return this.#url;
  }

  /** Stopped with SIGSTOP and not yet continued. */
  get paused(): boolean {
    return this.#paused && this.running;
  }

  /** SIGSTOP: the process freezes mid-whatever (its sockets stay open, its locks held). */
  pause(): void {
    if (!this.running) return;
    this.#paused = true;
    this.#child?.kill("SIGSTOP");
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.running) this.#child?.kill("SIGCONT");
  }

  /** The announced URL, or null while the process is (re)starting. */
  get currentUrl(): string | null {
    return this.#url;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    this.#url = null;
    this.#stopping = false;
    this.#paused = false;
    const child = spawn(process.execPath, [...nodeOptionsOf(this.spec.script), this.spec.script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.spec.env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.#child = child;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    const announced = new Promise<string>((resolve) => {
      child.on("message", (message) => {
        if (!isListeningAnnouncement(message)) return;
        resolve(message.url);
        // One announcement is all the channel is for; an open channel would keep us alive.
        child.disconnect();
      });
    });
    this.#exit = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        if (!this.#stopping) {
          const what = `${this.spec.name} (pid ${child.pid}) exited unexpectedly: ${signal ?? `code ${code}`} at ${new Date().toISOString()}`;
          this.unexpectedExits.push(what);
          this.#log.write(`\n[stack] ${what}\n`);
        }
        resolve(code);
      }),
    );
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_, reject) => {
      this.#exit.then(async () => reject(new Error(`${this.spec.name} exited during start-up:\n${await this.tail()}`)));
      timer = setTimeout(
        async () => reject(new Error(`${this.spec.name} did not announce a URL in ${timeoutMs} ms:\n${await this.tail()}`)),
        timeoutMs,
      );
    });
    // Once the race is decided the losing rejection (a later exit, say) has no one to tell.
    failure.catch(() => {});
    try {
      this.#url = await Promise.race([announced, failure]);
    } finally {
      clearTimeout(timer);
    }
    await this.#waitHealthy(deadline);
  }

  async #waitHealthy(deadline: number): Promise<void> {
    for (;;) {
      if (!this.running) throw new Error(`${this.spec.name} exited during start-up:\n${await this.tail()}`);
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return;
      } catch {
        // not answering yet
      }
      if (Date.now() > deadline) throw new Error(`${this.spec.name} not healthy at ${this.url}:\n${await this.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Sends `signal`; resolves with the exit code once the process is gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.#exit;
    this.#stopping = true;
    this.#child?.kill(signal);
    // A stopped process acts on SIGTERM only once continued.
    if (this.#paused) this.resume();
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
