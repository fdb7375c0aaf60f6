import { randomBytes } from "node:crypto";

export type ServerConfigInput = {
  host: string;
  brokerPort: number;
  controllerPort: number;
  dataDir: string;
  partitions: number;
  /**
   * Membership of a several-node cluster (each node broker+controller, static quorum); absent
   * for the single node, whose internal topics then get replication factor 1.
   */
  cluster?: { nodeId: number; voters: string; replicationFactor: number; minInsyncReplicas: number };
  /** Extra or overriding broker properties. */
  overrides?: Record<string, string | number | boolean>;
};

/**
 * `server.properties` for one node that is both broker and KRaft controller. On a single node
 * every internal topic gets replication factor 1: with the default of 3 a single broker can
 * never create `__consumer_offsets` / `__transaction_state`, and clients fail to find a group or
 * transaction coordinator (see docs/kafka.md). In a cluster every topic, internal ones included,
 * gets the cluster's replication factor and `min.insync.replicas`.
 */
export function renderServerProperties(input: ServerConfigInput): string {
  const { host, brokerPort, controllerPort } = input;
  const rf = input.cluster?.replicationFactor ?? 1;
  const minIsr = input.cluster?.minInsyncReplicas ?? 1;
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": input.cluster?.nodeId ?? 1,
    "controller.quorum.voters": input.cluster?.voters ?? `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${brokerPort},CONTROLLER://${host}:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${host}:${brokerPort}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": input.dataDir,
    "num.partitions": input.partitions,
    "default.replication.factor": rf,
    "min.insync.replicas": minIsr,
    "offsets.topic.replication.factor": rf,
    "transaction.state.log.replication.factor": rf,
    "transaction.state.log.min.isr": minIsr,
    "share.coordinator.state.topic.replication.factor": rf,
    "share.coordinator.state.topic.min.isr": minIsr,
    // 50 partitions each by default; every one is created, loaded at start and recovered
    // after a crash. A handful is plenty for one node and makes (re)starts faster.
    "offsets.topic.num.partitions": 5,
    "transaction.state.log.num.partitions": 5,
    // After a SIGKILL the restarted broker can only register once the controller has
    // expired its previous incarnation's session (default 9 s): keep that short.
    // In a cluster this is also how long a crashed leader's partitions wait for a new leader.
    "broker.heartbeat.interval.ms": 500,
    "broker.session.timeout.ms": input.cluster ? 4_000 : 2_000,
    // Nobody else will join: don't make the first consumer of a group wait 3 s.
    "group.initial.rebalance.delay.ms": 0,
    // Topics are created by the project (with their partition counts), never by a typo.
    "auto.create.topics.enable": false,
    ...input.overrides,
  };
  return renderProperties(props);
}

/** log4j2 config sending everything to one file; stdout stays quiet. */
export function renderLog4j2(logFile: string): string {
  return renderLog4j2File(logFile, {
    appender: "server",
    rootLevel: "WARN",
    loggers: { kafka: "INFO", "org.apache.kafka": "INFO", "state.change.logger": "WARN", "kafka.request.logger": "WARN" },
  });
}

/** A `.properties` file: one `key=value` a line, backslashes escaped as Java reads them. */
export function renderProperties(props: Record<string, string | number | boolean>): string {
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${String(value).replaceAll("\\", "\\\\")}`)
    .join("\n")}\n`;
}

/** log4j2 XML writing every enabled logger to one file with `[time] LEVEL message (logger)` lines. */
export function renderLog4j2File(
  logFile: string,
  options: { appender: string; rootLevel: string; loggers: Readonly<Record<string, string>> },
): string {
  const xml = (text: string) => text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
  const loggers = Object.entries(options.loggers)
    .map(([name, level]) => `    <Logger name="${xml(name)}" level="${level}"/>\n`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <File name="${options.appender}" fileName="${xml(logFile)}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
${loggers}    <Root level="${options.rootLevel}"><AppenderRef ref="${options.appender}"/></Root>
  </Loggers>
</Configuration>
`;
}

/**
 * A KRaft cluster id as `kafka-storage random-uuid` prints it: 16 random bytes in URL-safe
 * base64 without padding. Kafka rejects ids starting with '-' (they look like CLI flags)
 * and the all-zero id.
 */
export function newClusterId(): string {
  for (;;) {
    const bytes = randomBytes(16);
    const id = bytes.toString("base64url");
    if (!id.startsWith("-") && bytes.some((b) => b !== 0)) return id;
  }
}
