import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** A Maven coordinate; its runtime dependencies are fetched too. */
export type Artifact = {
  groupId: string;
  artifactId: string;
  version: string;
  /** Exclude this artifact's transitive dependencies matching `groupId:artifactId` (`*` allowed). */
  exclusions?: string[];
};

export type Classpath = {
  /** The cache directory holding every jar of the set. */
  dir: string;
  /** Absolute jar paths, sorted. */
  jars: string[];
  /** `jars` joined with the platform path delimiter, ready for `java -cp`. */
  classpath: string;
};

const MARKER = ".complete.json";
/** Pinned so a fresh machine resolves the same plugin, not Maven 3's ancient default (2.8). */
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/** `${XDG_CACHE_HOME:-$HOME/.cache}/order-service`, shared with the `./dev` bootstrap. */
export function cacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache"), "order-service");
}

const inFlight = new Map<string, Promise<Classpath>>();

/**
 * Makes sure every jar of `artifacts` (with runtime dependencies) is in
 * `<cacheRoot>/<setName>/` and returns the classpath. The first call runs `mvn` (which also
 * fills ~/.m2); later calls only read a marker file. Concurrent processes are safe: each
 * fetches into its own staging directory and the first rename wins.
 */
export function ensureClasspath(setName: string, artifacts: Artifact[]): Promise<Classpath> {
  if (!/^[A-Za-z0-9._-]+$/.test(setName)) {
    throw new Error(`local-kafka: invalid classpath set name ${JSON.stringify(setName)}`);
  }
  if (artifacts.length === 0) throw new Error(`local-kafka: set ${setName} has no artifacts`);
  const key = `${setName}\0${JSON.stringify(artifacts)}`;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = resolveSet(setName, artifacts).catch((error: unknown) => {
      inFlight.delete(key);
      throw error;
    });
    inFlight.set(key, pending);
  }
  return pending;
}

async function resolveSet(setName: string, artifacts: Artifact[]): Promise<Classpath> {
  const dir = join(cacheRoot(), setName);
  const cached = await readComplete(dir, artifacts);
  if (cached) return cached;

  await mkdir(cacheRoot(), { recursive: true });
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(staging, { recursive: true });
    await copyDependencies(staging, artifacts);
    const jars = (await readdir(staging)).filter((name) => name.endsWith(".jar")).sort();
    if (jars.length === 0) throw new Error(`local-kafka: mvn fetched no jars for ${setName}`);
    await writeFile(join(staging, MARKER), `${JSON.stringify({ artifacts, jars }, null, 2)}\n`);
    await publish(staging, dir, artifacts);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const done = await readComplete(dir, artifacts);
  if (!done) throw new Error(`local-kafka: ${dir} is incomplete after fetching`);
  return done;
}

/** Atomically moves the staging dir into place; a stale or foreign dir is replaced. */
async function publish(staging: string, dir: string, artifacts: Artifact[]): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      // Another process won the race: keep its complete copy.
      if (await readComplete(dir, artifacts)) return;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`local-kafka: could not move jars into ${dir}`);
}

async function readComplete(dir: string, artifacts: Artifact[]): Promise<Classpath | undefined> {
  let marker: { artifacts?: unknown; jars?: unknown };
  try {
    marker = JSON.parse(await readFile(join(dir, MARKER), "utf8")) as typeof marker;
  } catch {
    return undefined;
  }
  if (JSON.stringify(marker.artifacts) !== JSON.stringify(artifacts)) return undefined;
  if (!Array.isArray(marker.jars)) return undefined;
  const jars = (marker.jars as string[]).map((name) => join(dir, name));
  if (!jars.every((jar) => existsSync(jar))) return undefined;
  return { dir, jars, classpath: jars.join(delimiter) };
}

async function copyDependencies(outputDir: string, artifacts: Artifact[]): Promise<void> {
  const pom = join(outputDir, "pom.xml");
  await writeFile(pom, renderPom(artifacts));
  const args = [
    "-q",
    "-B",
    "-Dstyle.color=never",
    "-f",
    pom,
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    `-DoutputDirectory=${outputDir}`,
    "-DincludeScope=runtime",
  ];
  try {
    await execFileAsync("mvn", args, { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error("local-kafka: `mvn` is not on PATH; install Maven 3 to fetch the Kafka jars.", {
        cause: error,
      });
    }
    const output = `${e.stdout ?? ""}${e.stderr ?? ""}`.split("\n").slice(-40).join("\n");
    throw new Error(`local-kafka: mvn ${args.join(" ")} failed:\n${output}`, { cause: error });
  }
  await rm(pom, { force: true });
}

/** A throw-away POM whose only purpose is to list the artifacts to copy. */
export function renderPom(artifacts: Artifact[]): string {
  const deps = artifacts
    .map((a) => {
      const exclusions = (a.exclusions ?? [])
        .map((ex) => {
          const [groupId, artifactId = "*"] = ex.split(":");
          return `<exclusion><groupId>${xml(groupId ?? "*")}</groupId><artifactId>${xml(artifactId)}</artifactId></exclusion>`;
        })
        .join("");
      return (
        `    <dependency><groupId>${xml(a.groupId)}</groupId><artifactId>${xml(a.artifactId)}</artifactId>` +
        `<version>${xml(a.version)}</version>` +
        (exclusions ? `<exclusions>${exclusions}</exclusions>` : "") +
        "</dependency>"
      );
    })
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.order-service</groupId>
  <artifactId>classpath</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
