import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";

export type JvmProcess = {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Call once the JVM has exited normally: stops its watchdog. */
  release(): void;
};

/**
 * The watchdog is a single `sh` reading a pipe from Node: when Node dies however it dies
 * (even SIGKILL, where no exit handler runs) the kernel closes the pipe and the watchdog kills
 * the JVM — the worker never outlives the process that started it.
 */
const WATCHDOG = 'while read -r _; do :; done; kill -KILL "$1" 2>/dev/null';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts `java …` in its own process group, output appended to `outputFile`. */
export function spawnJvm(java: string, args: string[], outputFile: string, env: NodeJS.ProcessEnv): JvmProcess {
  const out = openSync(outputFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(java, args, { stdio: ["ignore", out, out], detached: true, env });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  child.unref();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(child);
  const watchdog =
    child.pid === undefined
      ? undefined
      : spawn("/bin/sh", ["-c", WATCHDOG, "local-connect-watchdog", String(child.pid)], {
          stdio: ["pipe", "ignore", "ignore"],
          detached: true,
        });
  watchdog?.on("error", () => {});
  watchdog?.stdin?.on("error", () => {});
  watchdog?.unref();
  (watchdog?.stdin as unknown as { unref?: () => void } | undefined)?.unref?.();
  return {
    child,
    exited,
    release: () => {
      live.delete(child);
      // SIGKILL rather than EOF: the JVM is gone and its pid may already be reused.
      watchdog?.kill("SIGKILL");
    },
  };
}

/** A free TCP port below the ephemeral range, so a restarted worker can bind it again. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once("error", () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`local-connect: no free port on ${host}`);
}

export async function tail(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, "utf8"))
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  } catch {
    return "";
  }
}
