import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { coordinatorsReady } from "./admin.ts";
import { ensureKafkaClasspath, kafkaVersion } from "./artifacts.ts";
import { Broker, type LocalKafka, type StartKafkaOptions } from "./broker.ts";
import { findJava } from "./java.ts";
import { tail } from "./jvm.ts";
import { freePorts } from "./ports.ts";
import { newClusterId } from "./server-config.ts";

export type StartKafkaClusterOptions = Omit<StartKafkaOptions, "logDir" | "warmUp"> & {
  /** Number of nodes (each broker + KRaft controller); default 3. */
  nodes?: number;
  /** `default.replication.factor` and that of the internal topics; default min(3, nodes). */
  replicationFactor?: number;
  /** `min.insync.replicas`; default 2 when the replication factor is 3 or more, else 1. */
  minInsyncReplicas?: number;
};

export type KafkaClusterNode = LocalKafka & { readonly nodeId: number };

export type LocalKafkaCluster = {
  /** Every node's `host:port`, for kafkajs' `brokers` / `bootstrap.servers`. */
  readonly brokers: string[];
  /** The same, comma-separated. */
  readonly bootstrap: string;
  readonly version: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly nodes: readonly KafkaClusterNode[];
  /** The node with this `node.id` (1 … n). */
  node(nodeId: number): KafkaClusterNode;
  /**
   * Resolves once every partition of `topics` (default: all topics) has a leader and its whole
   * replica set in sync, e.g. after a restarted node has caught up. Throws after `timeoutMs`.
   */
  waitUntilInSync(options?: { topics?: string[]; timeoutMs?: number }): Promise<void>;
  /** Stops every node and removes their temp dirs. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

const HOST = "127.0.0.1";

/**
 * Starts an n-node KRaft cluster (default 3; every node broker + controller, static quorum,
 * replication factor 3, `min.insync.replicas=2`) from the same jars as startKafka(), and waits
 * until all nodes are registered and the group coordinator and producer ids are ready. Each
 * node is a LocalKafka of its own: kill() / restart() one to crash a leader.
 */
export async function startKafkaCluster(options: StartKafkaClusterOptions = {}): Promise<LocalKafkaCluster> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`local-kafka: nodes must be ≥ 1, got ${count}`);
  const replicationFactor = options.replicationFactor ?? Math.min(3, count);
  const minInsyncReplicas = options.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : 1);
  if (replicationFactor > count || minInsyncReplicas > replicationFactor) {
    throw new Error(`local-kafka: replication factor ${replicationFactor} / min ISR ${minInsyncReplicas} on ${count} nodes`);
  }
  const version = kafkaVersion(options.version);
  const host = options.host ?? HOST;
  const [{ classpath }, { java, javaHome }] = await Promise.all([ensureKafkaClasspath(version), findJava()]);
  const settings = { count, replicationFactor, minInsyncReplicas, version, host, classpath, java, javaHome };
  // Free ports can be taken between our check and the JVMs' bind. Every node's voter list names
  // every controller port, so a node cannot pick a new port alone (as startKafka's broker does):
  // the whole cluster starts again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(options, settings);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= 3) throw error instanceof PortTaken ? error.cause : error;
    }
  }
}

/** A cluster start that failed because a node could not bind its port (the cause is the start's error). */
class PortTaken extends Error {}

async function startClusterOnce(
  options: StartKafkaClusterOptions,
  settings: {
    count: number;
    replicationFactor: number;
    minInsyncReplicas: number;
    version: string;
    host: string;
    classpath: string;
    java: string;
    javaHome: string;
  },
): Promise<LocalKafkaCluster> {
  const { count, replicationFactor, minInsyncReplicas, version, host, classpath, java, javaHome } = settings;
  const ports = await freePorts(host, 2 * count);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const voters = ids.map((id) => `${id}@${host}:${ports[count + id - 1]}`).join(",");
  const clusterId = newClusterId();
  const nodes: Broker[] = [];
  try {
    for (const nodeId of ids) {
      const workDir = await mkdtemp(join(tmpdir(), `order-service-kafka-${nodeId}-`));
      nodes.push(
        new Broker({
          // Each node waits for its own metadata only; the cluster warms up once all are in.
          options: { ...options, heap: options.heap ?? "256m", warmUp: false },
          member: {
            nodeId,
            brokerPort: ports[nodeId - 1] ?? 0,
            controllerPort: ports[count + nodeId - 1] ?? 0,
            voters,
            clusterId,
            replicationFactor,
            minInsyncReplicas,
          },
          version,
          java,
          javaHome,
          classpath,
          workDir,
        }),
      );
    }
    await Promise.all(nodes.map((n) => n.spawnMember()));
    await Promise.all(nodes.map((n) => n.waitUntilServing()));
    const brokers = nodes.map((n) => n.bootstrap);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    await until(timeoutMs, `${count} registered brokers with ready coordinators`, async () => {
      return (await registeredBrokers(brokers)) === count && (await coordinatorsReady(brokers));
    });
    return cluster(nodes, { version, replicationFactor, minInsyncReplicas });
  } catch (error) {
    const logs = await Promise.all(nodes.map((n) => tail(n.logFile, 200).catch(() => "")));
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
    if (logs.some((log) => /BindException|Address already in use/.test(log)))
      throw new PortTaken("a node's port was taken", { cause: error });
    throw error;
  }
}

function cluster(nodes: Broker[], info: { version: string; replicationFactor: number; minInsyncReplicas: number }): LocalKafkaCluster {
  const brokers = nodes.map((n) => n.bootstrap);
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  return {
    brokers,
    bootstrap: brokers.join(","),
    ...info,
    nodes,
    node(nodeId) {
      const node = nodes.find((n) => n.nodeId === nodeId);
      if (!node) throw new Error(`local-kafka: no node ${nodeId}`);
      return node;
    },
    async waitUntilInSync({ topics, timeoutMs = 120_000 } = {}) {
      const running = () => nodes.filter((n) => n.running).map((n) => n.bootstrap);
      await until(timeoutMs, `every replica of ${topics?.join(", ") ?? "every topic"} in sync`, () => inSync(running(), topics));
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function admin(brokers: string[]) {
  return new Kafka({
    clientId: "local-kafka-cluster",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  }).admin();
}

async function registeredBrokers(brokers: string[]): Promise<number> {
  const a = admin(brokers);
  try {
    await a.connect();
    return (await a.describeCluster()).brokers.length;
  } catch {
    return 0;
  } finally {
    await a.disconnect().catch(() => {});
  }
}

async function inSync(brokers: string[], topics: string[] | undefined): Promise<boolean> {
  if (brokers.length === 0) return false;
  const a = admin(brokers);
  try {
    await a.connect();
    const { topics: meta } = await a.fetchTopicMetadata(topics ? { topics } : undefined);
    return meta.every((t) => t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length));
  } catch {
    return false;
  } finally {
    await a.disconnect().catch(() => {});
  }
}

async function until(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`local-kafka: no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
