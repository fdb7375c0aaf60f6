import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export type JvmCommand = {
  java: string;
  classpath: string;
  mainClass: string;
  args: string[];
  jvmArgs?: string[];
  /** log4j2 configuration file for the JVM. */
  log4jConfig: string;
  /** Environment of the JVM; default this process's. */
  env?: NodeJS.ProcessEnv;
};

function argv(cmd: JvmCommand): string[] {
  return [
    ...(cmd.jvmArgs ?? []),
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${cmd.log4jConfig}`,
    "-cp",
    cmd.classpath,
    cmd.mainClass,
    ...cmd.args,
  ];
}

/** Runs a short-lived JVM tool (e.g. the storage formatter) to completion. */
export async function runJava(cmd: JvmCommand, timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd.java, argv(cmd), { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`local-kafka: ${cmd.mainClass} ${cmd.args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: error });
  }
}

export type RunningJvm = {
  child: ChildProcess;
  /** Resolves once the JVM has exited, however it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Starts a long-running JVM in its own process group, stdout+stderr appended to a file. */
export function spawnJava(cmd: JvmCommand, outputFile: string): RunningJvm {
  const out = openSync(outputFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(cmd.java, argv(cmd), {
      stdio: ["ignore", out, out],
      // Own process group: a terminal Ctrl-C reaches Node, which decides how the JVM stops.
      detached: true,
      ...(cmd.env ? { env: cmd.env } : {}),
    });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  // Never keep the event loop alive just for the JVM: callers await stop() explicitly.
  child.unref();
  return { child, exited };
}

/** The last `lines` lines of a file, or '' when it doesn't exist. */
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
