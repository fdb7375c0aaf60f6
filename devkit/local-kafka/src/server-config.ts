import { randomBytes } from "node:crypto";

export type ServerConfigInput = {
  host: string;
  brokerPort: number;
  controllerPort: number;
  dataDir: string;
  partitions: number;
  /** Extra or overriding broker properties. */
  overrides?: Record<string, string | number | boolean>;
};

/**
 * `server.properties` for one node that is both broker and KRaft controller. Every internal
 * topic gets replication factor 1: with the default of 3 a single broker can never create
 * `__consumer_offsets` / `__transaction_state`, and clients fail to find a group or
 * transaction coordinator (see docs/kafka.md).
 */
export function renderServerProperties(input: ServerConfigInput): string {
  const { host, brokerPort, controllerPort } = input;
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${brokerPort},CONTROLLER://${host}:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${host}:${brokerPort}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": input.dataDir,
    "num.partitions": input.partitions,
    "default.replication.factor": 1,
    "min.insync.replicas": 1,
    "offsets.topic.replication.factor": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    // 50 partitions each by default; every one is created, loaded at start and recovered
    // after a crash. A handful is plenty for one node and makes (re)starts faster.
    "offsets.topic.num.partitions": 5,
    "transaction.state.log.num.partitions": 5,
    // After a SIGKILL the restarted broker can only register once the controller has
    // expired its previous incarnation's session (default 9 s): keep that short.
    "broker.heartbeat.interval.ms": 500,
    "broker.session.timeout.ms": 2_000,
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
