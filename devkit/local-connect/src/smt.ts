import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { cacheRoot, type JavaRuntime } from "@orders/local-kafka";
import { SMT_SOURCES } from "./paths.ts";

const execFileAsync = promisify(execFile);

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Compiles deploy/debezium/smt (the DropNullHeaders transform) with the JDK's javac against
 * the worker's Connect API jars and returns a plugin directory holding the jar. Cached by the
 * hash of the sources, so a changed transform is rebuilt and an unchanged one costs nothing.
 */
export async function ensureSmtPlugin(java: JavaRuntime, connectJars: string[]): Promise<string> {
  const files = await listFiles(SMT_SOURCES);
  const hash = createHash("sha256");
  for (const file of files)
    hash
      .update(relative(SMT_SOURCES, file))
      .update("\0")
      .update(await readFile(file));
  hash.update(connectJars.map((j) => j.split("/").pop()).join(","));
  const dir = join(cacheRoot(), `order-service-smt-${hash.digest("hex").slice(0, 16)}`);
  const jar = join(dir, "order-service-smt.jar");
  if (existsSync(jar)) return dir;

  const bin = join(java.javaHome, "bin");
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const classes = join(staging, "classes");
  try {
    await mkdir(classes, { recursive: true });
    const api = connectJars.filter((j) => /\/(connect-api|kafka-clients)-[^/]+\.jar$/.test(j)).join(":");
    const sources = files.filter((f) => f.endsWith(".java"));
    await execFileAsync(join(bin, "javac"), ["--release", "17", "-nowarn", "-cp", api, "-d", classes, ...sources]);
    await cp(join(SMT_SOURCES, "resources"), classes, { recursive: true });
    await execFileAsync(join(bin, "jar"), ["cf", join(staging, "order-service-smt.jar"), "-C", classes, "."]);
    await rm(classes, { recursive: true, force: true });
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      // Another process built the same sources first: keep its copy.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(`local-connect: no javac/jar in ${bin}; the DropNullHeaders transform needs a JDK 17+, not a JRE`, {
        cause: error,
      });
    }
    throw new Error(`local-connect: building the DropNullHeaders transform failed:\n${e.stderr ?? String(error)}`, { cause: error });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return dir;
}
