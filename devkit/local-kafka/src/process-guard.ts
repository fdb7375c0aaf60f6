import { type ChildProcess, spawn } from "node:child_process";

/**
 * Makes sure a broker JVM never outlives the Node process that started it.
 *
 * 1. `exit` and SIGINT/SIGTERM/SIGHUP handlers SIGKILL every live JVM synchronously.
 * 2. Those handlers can't run when Node itself is SIGKILLed (OOM killer, vitest killing a
 *    worker, `kill -9`), so each JVM also gets a watchdog: a detached `sh` whose stdin is a
 *    pipe from Node. The kernel closes the pipe when Node dies however it dies; the
 *    watchdog's `read` then hits EOF, it kills the JVM, waits for it and removes its
 *    temp dir. `read` is a shell builtin, so the watchdog is a single process. It compares the
 *    pid's start time (/proc/<pid>/stat field 22) with the one it saw first, so a pid the
 *    kernel has since handed to another process is never killed.
 */
const WATCHDOG = `
started() { read -r line 2>/dev/null < "/proc/$1/stat" || return 0; set -- \${line##*) }; echo "\${20}"; }
born=$(started "$1")
while read -r _; do :; done
# The JVM may be gone already and its pid reused: kill only the process that was started then.
[ -n "$born" ] && [ "$(started "$1")" = "$born" ] && kill -KILL "$1" 2>/dev/null
if [ -n "$2" ]; then
  i=0
  while [ -n "$born" ] && [ "$(started "$1")" = "$born" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  rm -rf -- "$2"
fi
`;

const live = new Set<ChildProcess>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let exitInstalled = false;
let signalsInstalled = false;

/** Registers a JVM; returns a function to call once it has exited normally. */
export function guard(child: ChildProcess, cleanupDir: string | undefined): () => void {
  install();
  live.add(child);
  const watchdog = startWatchdog(child.pid, cleanupDir);
  return () => {
    live.delete(child);
    // SIGKILL, not EOF: the JVM is already gone and its pid may be reused.
    watchdog?.kill("SIGKILL");
  };
}

function startWatchdog(pid: number | undefined, cleanupDir: string | undefined) {
  if (pid === undefined) return undefined;
  const watchdog = spawn("/bin/sh", ["-c", WATCHDOG, "local-kafka-watchdog", String(pid), cleanupDir ?? ""], {
    stdio: ["pipe", "ignore", "ignore"],
    // Own process group: a Ctrl-C in the terminal must not kill the watchdog before Node.
    detached: true,
  });
  watchdog.on("error", () => {});
  watchdog.stdin?.on("error", () => {});
  watchdog.unref();
  // The pipe must not keep the event loop alive; it only has to stay open.
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function killAll(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // An application with its own handler owns shutdown (and should call stop()); the exit
  // handler and the watchdogs stay as the backstop.
  if (process.listeners(signal).some((listener) => listener !== onSignal)) return;
  killAll();
  // Otherwise behave as if we weren't here: die of the signal.
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  signalsInstalled = false;
  process.kill(process.pid, signal);
}

function install(): void {
  if (!exitInstalled) {
    exitInstalled = true;
    process.on("exit", killAll);
  }
  if (!signalsInstalled) {
    signalsInstalled = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
}
