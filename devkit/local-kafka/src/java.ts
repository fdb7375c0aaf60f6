import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Kafka 4.x brokers are compiled for Java 17 (class file major version 61). */
export const MIN_JAVA_MAJOR = 17;

export type JavaRuntime = {
  /** Absolute path of the `java` launcher that will run the broker. */
  java: string;
  /** The runtime's `java.home`, so other tools (benchmarks) can use the same JVM. */
  javaHome: string;
  /** Feature release number, e.g. 17. */
  major: number;
};

let cached: Promise<JavaRuntime> | undefined;

/**
 * Finds the Java runtime: `$JAVA_HOME/bin/java` when JAVA_HOME is set, otherwise `java` on PATH.
 * Fails loudly when it is missing or older than Java 17.
 */
export function findJava(): Promise<JavaRuntime> {
  cached ??= probe().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function probe(): Promise<JavaRuntime> {
  const envHome = process.env.JAVA_HOME;
  const launcher = envHome ? join(envHome, "bin", "java") : "java";
  let output: string;
  try {
    // -XshowSettings prints to stderr; `-version` makes the JVM exit right after.
    const { stderr } = await execFileAsync(launcher, ["-XshowSettings:properties", "-version"], {
      timeout: 30_000,
    });
    output = stderr;
  } catch (error) {
    throw new Error(
      `local-kafka: cannot run ${launcher} (${(error as Error).message}). ` +
        `Install Java ${MIN_JAVA_MAJOR}+ and put it on PATH or set JAVA_HOME.`,
      { cause: error },
    );
  }
  const javaHome = property(output, "java.home");
  const spec = property(output, "java.specification.version");
  if (!javaHome || !spec) {
    throw new Error(`local-kafka: could not read java.home from ${launcher}:\n${output}`);
  }
  // "1.8" for Java 8, "17" for Java 17.
  const major = spec.startsWith("1.") ? Number(spec.slice(2)) : Number(spec);
  if (!(major >= MIN_JAVA_MAJOR)) {
    throw new Error(`local-kafka: Kafka 4 needs Java ${MIN_JAVA_MAJOR}+, but ${launcher} is Java ${spec} (${javaHome}).`);
  }
  return { java: join(javaHome, "bin", "java"), javaHome, major };
}

function property(settings: string, name: string): string | undefined {
  const match = new RegExp(`^\\s*${name.replaceAll(".", "\\.")} = (.*)$`, "m").exec(settings);
  return match?.[1]?.trim();
}
