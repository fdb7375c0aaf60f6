import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coordinatorsReady, servesMetadata } from "./admin.ts";
import { ensureKafkaClasspath, kafkaVersion } from "./artifacts.ts";
import { findJava } from "./java.ts";
import { type JvmCommand, type RunningJvm, runJava, spawnJava, tail } from "./jvm.ts";
import { freePorts } from "./ports.ts";
import { guard } from "./process-guard.ts";
import { newClusterId, renderLog4j2, renderServerProperties } from "./server-config.ts";

export type StartKafkaOptions = {
  /** Kafka version on Maven Central; default 4.4.0 or $LOCAL_KAFKA_VERSION. */
  version?: string;
  /** Broker default `num.partitions` (topics created without a count); default 1. */
  partitions?: number;
  /**
   * Kafka's data directory (`log.dirs`). Default: `data/` in a fresh temp dir, removed by
   * stop(). A given directory is kept, and formatted only if it isn't already.
   */
  logDir?: string;
  /** Listener address; default 127.0.0.1. */
  host?: string;
  /** JVM max heap; default 512m. */
  heap?: string;
  /** Extra or overriding `server.properties` entries. */
  serverProperties?: Record<string, string | number | boolean>;
  /** How long to wait for the broker to be ready; default 120 s (a busy 2-core box needs 30 s+). */
  startTimeoutMs?: number;
  /**
   * Also wait until the group coordinator and producer ids are ready, so the first consumer
   * and idempotent producer don't hit COORDINATOR_LOAD_IN_PROGRESS; default true.
   */
  warmUp?: boolean;
  /** How long stop() waits after SIGTERM before SIGKILL; default 30 s. */
  stopTimeoutMs?: number;
  /** Keep the temp dir (config, logs, data) after stop(); also `LOCAL_KAFKA_KEEP=1`. */
  keepTempDir?: boolean;
};

export type LocalKafka = {
  /** `["127.0.0.1:<port>"]` for kafkajs' `brokers`. */
  readonly brokers: string[];
  /** `127.0.0.1:<port>` for `bootstrap.servers`. */
  readonly bootstrap: string;
  readonly version: string;
  /** The broker's log4j output. */
  readonly logFile: string;
  readonly dataDir: string;
  /** Temp dir with server.properties, log4j2.xml, the logs and (by default) the data. */
  readonly workDir: string;
  /** The JVM running the broker, and its jars, for tools that need the same ones. */
  readonly javaHome: string;
  readonly classpath: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /**
   * SIGTERM (controlled shutdown), SIGKILL after `stopTimeoutMs`, then remove the temp dir.
   * With `keepData: true` the broker can be started again with restart().
   */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL, as in a crash; the data stays, so restart() recovers from it. */
  kill(): Promise<void>;
  /** Stop if running, then start on the same ports and data, and wait until it serves. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

const HOST = "127.0.0.1";

/** Starts a single-node Kafka (KRaft, broker+controller) and waits until it serves metadata. */
export async function startKafka(options: StartKafkaOptions = {}): Promise<LocalKafka> {
  const version = kafkaVersion(options.version);
  const [{ classpath }, { java, javaHome }] = await Promise.all([ensureKafkaClasspath(version), findJava()]);
  const workDir = await mkdtemp(join(tmpdir(), "order-service-kafka-"));
  const broker = new Broker({ options, version, java, javaHome, classpath, workDir });
  try {
    await broker.init();
    return broker;
  } catch (error) {
    await broker.stop().catch(() => {});
    throw error;
  }
}

/** A node's place in a several-node cluster: its ports and the quorum it belongs to. */
export type ClusterMember = {
  nodeId: number;
  brokerPort: number;
  controllerPort: number;
  /** `controller.quorum.voters` of the whole cluster. */
  voters: string;
  clusterId: string;
  replicationFactor: number;
  minInsyncReplicas: number;
};

export type BrokerInit = {
  options: StartKafkaOptions;
  member?: ClusterMember;
  version: string;
  java: string;
  javaHome: string;
  classpath: string;
  workDir: string;
};

export class Broker implements LocalKafka {
  readonly version: string;
  readonly javaHome: string;
  readonly classpath: string;
  readonly workDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  #brokerPort = 0;
  #controllerPort = 0;
  #java: string;
  #options: StartKafkaOptions;
  #host: string;
  #jvm: RunningJvm | undefined;
  #release: (() => void) | undefined;
  #disposed = false;
  #member: ClusterMember | undefined;

  constructor(init: BrokerInit) {
    this.version = init.version;
    this.javaHome = init.javaHome;
    this.classpath = init.classpath;
    this.workDir = init.workDir;
    this.#java = init.java;
    this.#options = init.options;
    this.#host = init.options.host ?? HOST;
    this.dataDir = init.options.logDir ?? join(init.workDir, "data");
    this.logFile = join(init.workDir, "server.log");
    this.#member = init.member;
    if (init.member) {
      this.#brokerPort = init.member.brokerPort;
      this.#controllerPort = init.member.controllerPort;
    }
  }

  /** The node id (1 on a single node). */
  get nodeId(): number {
    return this.#member?.nodeId ?? 1;
  }

  get brokers(): string[] {
    return [this.bootstrap];
  }
  get bootstrap(): string {
    return `${this.#host}:${this.#brokerPort}`;
  }
  get pid(): number | undefined {
    return this.#jvm?.child.pid;
  }
  get running(): boolean {
    return this.#jvm !== undefined;
  }

  get #serverProperties(): string {
    return join(this.workDir, "server.properties");
  }

  #command(mainClass: string, args: string[], jvmArgs: string[] = []): JvmCommand {
    return {
      java: this.#java,
      classpath: this.classpath,
      mainClass,
      args,
      jvmArgs,
      log4jConfig: join(this.workDir, "log4j2.xml"),
    };
  }

  async init(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    await writeFile(join(this.workDir, "log4j2.xml"), renderLog4j2(this.logFile));
    // Random free ports can be taken between our check and the JVM's bind: try again.
    for (let attempt = 1; ; attempt++) {
      [this.#brokerPort = 0, this.#controllerPort = 0] = await freePorts(this.#host, 2);
      await this.#writeConfig();
      if (!existsSync(join(this.dataDir, "meta.properties"))) await this.#format();
      try {
        await this.#launch();
        return;
      } catch (error) {
        const bindFailure = /BindException|Address already in use/.test(await tail(this.logFile, 200));
        if (!bindFailure || attempt >= 3) throw error;
      }
    }
  }

  /**
   * A cluster member: config, format, and the JVM started without waiting — a node serves only
   * once a quorum of controllers runs, so the cluster starts every node first, then waits.
   */
  async spawnMember(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    await writeFile(join(this.workDir, "log4j2.xml"), renderLog4j2(this.logFile));
    await this.#writeConfig();
    if (!existsSync(join(this.dataDir, "meta.properties"))) await this.#format();
    this.#spawn();
  }

  /** Waits until this node serves metadata (and, unless `warmUp` is false, its coordinators). */
  async waitUntilServing(): Promise<void> {
    const jvm = this.#jvm;
    if (!jvm) throw new Error(`local-kafka: node ${this.nodeId} is not running`);
    await this.#waitUntilServing(jvm);
  }

  async #writeConfig(): Promise<void> {
    const text = renderServerProperties({
      host: this.#host,
      brokerPort: this.#brokerPort,
      controllerPort: this.#controllerPort,
      dataDir: this.dataDir,
      partitions: this.#options.partitions ?? 1,
      ...(this.#member
        ? {
            cluster: {
              nodeId: this.#member.nodeId,
              voters: this.#member.voters,
              replicationFactor: this.#member.replicationFactor,
              minInsyncReplicas: this.#member.minInsyncReplicas,
            },
          }
        : {}),
      ...(this.#options.serverProperties ? { overrides: this.#options.serverProperties } : {}),
    });
    await writeFile(this.#serverProperties, text);
  }

  /** `kafka-storage.sh format`: writes meta.properties and the bootstrap metadata. */
  async #format(): Promise<void> {
    await runJava(
      this.#command(
        "kafka.tools.StorageTool",
        ["format", "--cluster-id", this.#member?.clusterId ?? newClusterId(), "--config", this.#serverProperties],
        ["-Xmx256m"],
      ),
    );
  }

  async #launch(): Promise<void> {
    await this.#waitUntilServing(this.#spawn());
  }

  #spawn(): RunningJvm {
    const heap = this.#options.heap ?? "512m";
    const jvm = spawnJava(
      this.#command(
        "kafka.Kafka",
        [this.#serverProperties],
        [`-Xmx${heap}`, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError"],
      ),
      join(this.workDir, "stdout.log"),
    );
    this.#jvm = jvm;
    this.#release = guard(jvm.child, this.#ownsWorkDir() ? this.workDir : undefined);
    void jvm.exited.then(() => {
      if (this.#jvm === jvm) this.#forget();
    });
    return jvm;
  }

  async #waitUntilServing(jvm: RunningJvm): Promise<void> {
    const timeoutMs = this.#options.startTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void jvm.exited.then(() => {
      exited = true;
    });
    // First metadata (the broker is up), then coordinators (clients start without errors).
    const stages = [
      { name: "serve metadata", check: servesMetadata },
      ...(this.#options.warmUp === false ? [] : [{ name: "load its coordinators", check: coordinatorsReady }]),
    ];
    let stage = 0;
    while (!exited) {
      const current = stages[stage];
      if (!current) return;
      if (await current.check(this.brokers)) {
        stage++;
        continue;
      }
      if (Date.now() > deadline) {
        await this.#terminate("SIGKILL");
        throw new Error(
          `local-kafka: broker ${this.nodeId} on ${this.bootstrap} did not ${current.name} within ${timeoutMs} ms; ` +
            `log ${this.logFile}:\n${await tail(this.logFile)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { code, signal } = await jvm.exited;
    throw new Error(
      `local-kafka: broker exited during start-up (code ${code}, signal ${signal}); ` +
        `log ${this.logFile}:\n${await tail(this.logFile)}\n${await tail(join(this.workDir, "stdout.log"), 20)}`,
    );
  }

  #forget(): void {
    this.#release?.();
    this.#release = undefined;
    this.#jvm = undefined;
  }

  #ownsWorkDir(): boolean {
    return !(this.#options.keepTempDir || process.env.LOCAL_KAFKA_KEEP === "1");
  }

  /** Sends `signal`, escalates to SIGKILL after the stop timeout, and waits for the exit. */
  async #terminate(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const jvm = this.#jvm;
    if (!jvm) return;
    jvm.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#options.stopTimeoutMs ?? 30_000);
    });
    const late = await Promise.race([jvm.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      jvm.child.kill("SIGKILL");
      await jvm.exited;
    }
    if (this.#jvm === jvm) this.#forget();
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.#terminate("SIGTERM");
    if (options.keepData || this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsWorkDir()) await rm(this.workDir, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    await this.#terminate("SIGKILL");
  }

  async restart(): Promise<void> {
    if (this.#disposed) throw new Error("local-kafka: restart() after stop(); use stop({ keepData: true })");
    await this.#terminate("SIGTERM");
    await this.#launch();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
