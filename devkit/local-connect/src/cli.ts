// Usage:
//   node devkit/local-connect/src/cli.ts fetch
//       prefetch the Connect and Debezium jars (and build the transform) into the cache
//   node devkit/local-connect/src/cli.ts start
//       OUTBOX_MODE=debezium without Docker: a Connect worker + the outbox connector against
//       $DATABASE_URL and $KAFKA_BROKERS, publishing to $ORDERS_TOPIC, until SIGINT/SIGTERM
//   node devkit/local-connect/src/cli.ts register [--url URL] [--file JSON]
//       register (create or update) the connector on a running worker and wait until RUNNING;
//       the compose stack's one-shot `connect-register` service
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { findJava } from "@orders/local-kafka";
import { ensureConnectClasspath, ensureDebeziumPostgres } from "./artifacts.ts";
import type { ConnectorRegistration } from "./connector-config.ts";
import { startOutboxCdc } from "./outbox-cdc.ts";
import { CONNECTOR_JSON } from "./paths.ts";
import { ConnectRest } from "./rest.ts";
import { ensureSmtPlugin } from "./smt.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: process.env.CONNECT_URL ?? "http://127.0.0.1:8083" },
    file: { type: "string", default: process.env.CONNECTOR_FILE ?? CONNECTOR_JSON },
    timeout: { type: "string", default: process.env.CONNECT_REGISTER_TIMEOUT_MS ?? "180000" },
  },
});
const command = positionals[0] ?? "help";
const log = (msg: string, extra: Record<string, unknown> = {}) =>
  console.error(JSON.stringify({ time: new Date().toISOString(), msg, ...extra }));

if (command === "fetch") {
  const [connect, debezium, java] = await Promise.all([ensureConnectClasspath(), ensureDebeziumPostgres(), findJava()]);
  const smt = await ensureSmtPlugin(java, connect.jars);
  log("jars ready", { connect: connect.dir, debezium: debezium.dir, smt });
} else if (command === "register") {
  const timeoutMs = Number(values.timeout);
  const rest = new ConnectRest(values.url);
  const { name, config } = JSON.parse(readFileSync(values.file, "utf8")) as ConnectorRegistration;
  const deadline = Date.now() + timeoutMs;
  while (!(await rest.ready())) {
    if (Date.now() > deadline) {
      log("Kafka Connect not reachable", { url: values.url });
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await rest.putConnector(name, config);
  const status = await rest.waitForState(name, "RUNNING", Math.max(1_000, deadline - Date.now()));
  log("connector running", { name, worker: status.connector.worker_id, tasks: status.tasks.length });
} else if (command === "start") {
  const databaseUrl = process.env.DATABASE_URL;
  const bootstrap = process.env.KAFKA_BROKERS;
  if (!databaseUrl || !bootstrap) {
    console.error("local-connect start: DATABASE_URL and KAFKA_BROKERS are required");
    process.exit(2);
  }
  const cdc = await startOutboxCdc({ databaseUrl, bootstrap, topic: process.env.ORDERS_TOPIC ?? "orders" });
  log("outbox connector running", { connect: cdc.worker.url, slot: cdc.slotName, log: cdc.worker.logFile });
  const keepAlive = setInterval(() => {}, 1 << 30);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  log("stopping Kafka Connect", { signal });
  await cdc.stop();
  clearInterval(keepAlive);
} else {
  console.error("usage: cli.ts fetch | start | register [--url URL] [--file JSON] [--timeout MS]");
  process.exitCode = command === "help" ? 0 : 2;
}
