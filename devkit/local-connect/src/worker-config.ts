import { renderLog4j2File, renderProperties } from "@orders/local-kafka";
export type WorkerConfigInput = {
  bootstrap: string;
  /** Connect group id; the internal topics are named after it. */
  groupId: string;
  restPort: number;
  pluginPath: string;
  /** How often source offsets (and so the slot's confirmed LSN) are committed; default 1 s. */
  offsetFlushIntervalMs?: number;
  overrides?: Record<string, string | number | boolean>;
};

/**
 * `connect-distributed.properties` for a one-worker cluster on one broker. Distributed (not
 * standalone) so that config, offsets and status live in Kafka topics — as in the compose
 * stack — and a restarted worker resumes from the committed offsets.
 */
export function renderWorkerProperties(input: WorkerConfigInput): string {
  const props: Record<string, string | number | boolean> = {
    "bootstrap.servers": input.bootstrap,
    "group.id": input.groupId,
    "config.storage.topic": `${input.groupId}-configs`,
    "offset.storage.topic": `${input.groupId}-offsets`,
    "status.storage.topic": `${input.groupId}-status`,
    // One broker: every internal topic with replication factor 1, and few partitions.
    "config.storage.replication.factor": 1,
    "offset.storage.replication.factor": 1,
    "offset.storage.partitions": 1,
    "status.storage.replication.factor": 1,
    "status.storage.partitions": 1,
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    listeners: `http://127.0.0.1:${input.restPort}`,
    "rest.advertised.host.name": "127.0.0.1",
    "rest.advertised.port": input.restPort,
    "plugin.path": input.pluginPath,
    // `${env:VAR}` in connector configs (deploy/debezium/outbox-connector.json) resolves from
    // the worker's environment, here and in docker-compose.
    "config.providers": "env",
    "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
    "offset.flush.interval.ms": input.offsetFlushIntervalMs ?? 1_000,
    // A worker that was SIGKILLed and comes back must get its task at once, not after the
    // default 5 min grace for a departed member.
    "scheduled.rebalance.max.delay.ms": 0,
    "plugin.discovery": "service_load",
    "topic.creation.enable": true,
    ...input.overrides,
  };
  return renderProperties(props);
}

/** log4j2 for the worker: INFO to one file, the noisy plugin scanner and clients at WARN. */
export function renderWorkerLog4j2(logFile: string): string {
  return renderLog4j2File(logFile, {
    appender: "worker",
    rootLevel: "INFO",
    loggers: {
      "org.reflections": "ERROR",
      "org.apache.kafka.clients": "WARN",
      "org.apache.kafka.common": "WARN",
      "org.apache.kafka.connect.runtime.isolation": "WARN",
      "org.eclipse.jetty": "WARN",
    },
  });
}
