import { createRequire } from "node:module";
import { format } from "node:util";
import type * as Platformatic from "@platformatic/kafka";
import { type LogEntry, logLevel } from "kafkajs";

/** Where the Kafka clients' own logs go: the process logger (@orders/runtime's Logger fits). */
export interface KafkaLogSink {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

let sink: KafkaLogSink | null = null;
let platformatic: typeof Platformatic | null = null;

/** @platformatic/kafka's debug channels through `target`, at debug level. */
const routePlatformaticLogs = (client: typeof Platformatic, target: KafkaLogSink) => {
  for (const [name, debugLog] of Object.entries(client.loggers)) {
    debugLog.log = (...args: unknown[]) => target.debug(format(...args), { logger: "@platformatic/kafka", channel: name });
  }
};

/**
 * @platformatic/kafka, loaded by the first record sender: ~40 MB resident (it compiles its
 * protocol schemas at import) that the consumer, the projector and the API, which never make
 * one, do not carry (issue 17 item 4). The package is ESM: `require` returns the instance an
 * `import` would. Its debug channels follow routeKafkaLogs' target from then on.
 */
export function loadPlatformaticKafka(): typeof Platformatic {
  if (!platformatic) {
    platformatic = createRequire(import.meta.url)("@platformatic/kafka") as typeof Platformatic;
    if (sink) routePlatformaticLogs(platformatic, sink);
  }
  return platformatic;
}

/**
 * Routes both Kafka clients' logs through `target` (once per process, before clients are made):
 * kafkajs through its logCreator, @platformatic/kafka's `debug` channels (on only when
 * DEBUG=plt:kafka:* asks for them; from when the client is loaded) at debug level. Without it
 * (the CLIs) kafkajs' lines still come out in the same JSON shape, with `service: "kafka"`, on
 * stderr: a CLI's stdout is its output (`--json`).
 */
export function routeKafkaLogs(target: KafkaLogSink): void {
  sink = target;
  if (platformatic) routePlatformaticLogs(platformatic, target);
}

const fallback: KafkaLogSink = (() => {
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: "kafka", ...fields, msg })}\n`);
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
})();

/** kafkajs' logCreator: one line per entry in our shape, `logger: "kafkajs"` and its namespace. */
export const kafkajsLogCreator =
  () =>
  ({ namespace, level, log }: LogEntry): void => {
    const { message, timestamp: _timestamp, logger: _logger, ...rest } = log as LogEntry["log"] & { logger?: unknown };
    const target = sink ?? fallback;
    const fields = { logger: "kafkajs", namespace, ...rest };
    if (level === logLevel.ERROR) target.error(message, fields);
    else if (level === logLevel.WARN) target.warn(message, fields);
    else if (level === logLevel.INFO) target.info(message, fields);
    else target.debug(message, fields);
  };
