/** Child processes of a bench: free ports, node scripts started and stopped, readiness by URL. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { nodeOptionsOf } from "@orders/stack";

/** A port free on 127.0.0.1 right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Polls `url` every 100 ms until it answers 2xx; throws after `attempts` tries. */
export async function waitFor(url: string, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

/**
 * Node scripts (paths under `root`, the repository root) started as children, each as the image
 * starts it: with its app's node-options file (heap bounds, compile cache; devkit/stack's
 * nodeOptionsOf), then `nodeArgs`, from `root` (where the file's `--import` resolves). `stop`
 * SIGTERMs them and waits for their exit.
 */
export function nodeChildren(root: string) {
  let children: ChildProcess[] = [];
  return {
    start(script: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
      const child = spawn(process.execPath, [...nodeOptionsOf(script, root), ...nodeArgs, join(root, script)], {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.push(child);
      return child;
    },
    async stop(): Promise<void> {
      // Wait for the children to exit: a CPU profile is written on exit.
      await Promise.all(
        children.map((c) => (c.exitCode !== null ? undefined : new Promise((resolve) => c.once("exit", resolve).kill("SIGTERM")))),
      );
      children = [];
    },
  };
}
