import { format } from "node:util";
import { loggers as platformaticLoggers } from "@platformatic/kafka";
import { type LogEntry, logLevel } from "kafkajs";

/** Where the Kafka clients' own logs go: the process logger (@orders/runtime's Logger fits). */
export interface KafkaLogSink {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

let sink: KafkaLogSink | null = null;

/**
 * Routes both Kafka clients' logs through `target` (once per process, before clients are made):
 * kafkajs through its logCreator, @platformatic/kafka's `debug` channels (on only when
 * DEBUG=plt:kafka:* asks for them) at debug level. Without it (the CLIs) kafkajs' lines still
 * come out in the same JSON shape, with `service: "kafka"`, on stderr: a CLI's stdout is its
 * output (`--json`).
 */
export function routeKafkaLogs(target: KafkaLogSink): void {
  sink = target;
  for (const [name, debugLog] of Object.entries(platformaticLoggers)) {
    debugLog.log = (...args: unknown[]) => target.debug(format(...args), { logger: "@platformatic/kafka", channel: name });
  }
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
