import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findJava, freePorts, guard, type JvmCommand, type RunningJvm, spawnJava, tail } from "@orders/local-kafka";
import { connectVersion, debeziumVersion, ensureConnectClasspath, ensureDebeziumPostgres } from "./artifacts.ts";
import { ConnectRest } from "./rest.ts";
import { ensureSmtPlugin } from "./smt.ts";
import { renderWorkerLog4j2, renderWorkerProperties } from "./worker-config.ts";

export type StartConnectOptions = {
  /** Kafka `bootstrap.servers`, e.g. `127.0.0.1:9092` (comma-separated for several). */
  bootstrap: string;
  /** Connect group id (names the internal topics); default a fresh random one. */
  groupId?: string;
  /** Environment for `${env:…}` in connector configs (POSTGRES_*, ORDERS_TOPIC). */
  env?: Record<string, string>;
  /** Kafka (Connect) version; default the broker's (local-kafka's default). */
  kafkaVersion?: string;
  debeziumVersion?: string;
  heap?: string;
  offsetFlushIntervalMs?: number;
  workerProperties?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
};

export type ConnectWorker = {
  readonly url: string;
  readonly rest: ConnectRest;
  readonly groupId: string;
  readonly logFile: string;
  readonly workDir: string;
  readonly kafkaVersion: string;
  readonly debeziumVersion: string;
  readonly pid: number | undefined;
  /** SIGTERM (tasks stop, offsets are committed), SIGKILL after the timeout; removes the work dir. */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash: uncommitted offsets are lost, so records since the last commit are sent again. */
  kill(): Promise<void>;
  /** Stop (gracefully unless `crash`), then start again on the same port, group and topics. */
  restart(options?: { crash?: boolean }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * Starts a Kafka Connect distributed worker (official `org.apache.kafka` jars) with the
 * Debezium PostgreSQL connector and the project's DropNullHeaders transform on its
 * plugin.path, as a child JVM; resolves once the REST API answers.
 */
export async function startConnect(options: StartConnectOptions): Promise<ConnectWorker> {
  const kVersion = connectVersion(options.kafkaVersion);
  const dVersion = debeziumVersion(options.debeziumVersion);
  const [connect, debezium, java] = await Promise.all([ensureConnectClasspath(kVersion), ensureDebeziumPostgres(dVersion), findJava()]);
  const smtDir = await ensureSmtPlugin(java, connect.jars);
  const workDir = await mkdtemp(join(tmpdir(), "order-service-connect-"));
  // plugin.path: one directory per plugin, each with its own class loader.
  const plugins = join(workDir, "plugins");
  await mkdir(plugins);
  await symlink(debezium.dir, join(plugins, "debezium-connector-postgres"));
  await symlink(smtDir, join(plugins, "order-service-smt"));
  const groupId = options.groupId ?? `orders-connect-${randomBytes(4).toString("hex")}`;
  // Below the ephemeral range, so a restarted worker gets its port back.
  const port = (await freePorts("127.0.0.1", 1))[0] as number;
  const logFile = join(workDir, "connect.log");
  const properties = join(workDir, "connect-distributed.properties");
  await writeFile(
    properties,
    renderWorkerProperties({
      bootstrap: options.bootstrap,
      groupId,
      restPort: port,
      pluginPath: plugins,
      ...(options.offsetFlushIntervalMs ? { offsetFlushIntervalMs: options.offsetFlushIntervalMs } : {}),
      ...(options.workerProperties ? { overrides: options.workerProperties } : {}),
    }),
  );
  await writeFile(join(workDir, "log4j2.xml"), renderWorkerLog4j2(logFile));
  const heap = options.heap ?? "512m";
  const command: JvmCommand = {
    java: java.java,
    classpath: connect.classpath,
    mainClass: "org.apache.kafka.connect.cli.ConnectDistributed",
    args: [properties],
    jvmArgs: [`-Xmx${heap}`, "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"],
    log4jConfig: join(workDir, "log4j2.xml"),
    env: { ...process.env, ...options.env },
  };
  // If Node dies without stop(), local-kafka's guard kills the JVM (and removes the work dir).
  const keepWorkDir = process.env.LOCAL_CONNECT_KEEP === "1";
  const rest = new ConnectRest(`http://127.0.0.1:${port}`);
  let jvm: (RunningJvm & { release: () => void }) | undefined;

  const launch = async () => {
    const spawned = spawnJava(command, join(workDir, "stdout.log"));
    const started = { ...spawned, release: guard(spawned.child, keepWorkDir ? undefined : workDir) };
    jvm = started;
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    let exited = false;
    void started.exited.then(() => {
      exited = true;
      started.release();
    });
    while (!exited) {
      if (await rest.ready()) return;
      if (Date.now() > deadline) {
        await terminate("SIGKILL");
        throw new Error(`local-connect: worker REST API not up within the timeout; log ${logFile}:\n${await tail(logFile)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(
      `local-connect: worker exited during start-up; log ${logFile}:\n${await tail(logFile)}\n${await tail(join(workDir, "stdout.log"), 20)}`,
    );
  };

  const terminate = async (signal: "SIGTERM" | "SIGKILL") => {
    const current = jvm;
    if (!current) return;
    current.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      current.exited.then(() => false),
      new Promise<true>((resolve) => {
        timer = setTimeout(() => resolve(true), options.stopTimeoutMs ?? 30_000);
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      current.child.kill("SIGKILL");
      await current.exited;
    }
    current.release();
    if (jvm === current) jvm = undefined;
  };

  let removed = false;
  const worker: ConnectWorker = {
    url: rest.url,
    rest,
    groupId,
    logFile,
    workDir,
    kafkaVersion: kVersion,
    debeziumVersion: dVersion,
    get pid() {
      return jvm?.child.pid;
    },
    stop: async () => {
      await terminate("SIGTERM");
      if (!removed && !keepWorkDir) {
        removed = true;
        await rm(workDir, { recursive: true, force: true });
      }
    },
    kill: () => terminate("SIGKILL"),
    restart: async ({ crash = false } = {}) => {
      await terminate(crash ? "SIGKILL" : "SIGTERM");
      await launch();
    },
    [Symbol.asyncDispose]: () => worker.stop(),
  };
  try {
    await launch();
  } catch (error) {
    await worker.stop().catch(() => {});
    throw error;
  }
  return worker;
}
