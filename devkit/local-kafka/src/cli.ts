// Usage:
//   node devkit/local-kafka/src/cli.ts fetch [--tools]   prefetch the jars (CI cache warm-up)
//   node devkit/local-kafka/src/cli.ts start             run a broker until SIGINT/SIGTERM
import { parseArgs } from "node:util";
import { ensureKafkaClasspath, ensureKafkaToolsClasspath } from "./artifacts.ts";
import { startKafka } from "./broker.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    version: { type: "string" },
    partitions: { type: "string" },
    "log-dir": { type: "string" },
    tools: { type: "boolean", default: false },
  },
});

const command = positionals[0] ?? "help";

if (command === "fetch") {
  const started = Date.now();
  const broker = await ensureKafkaClasspath(values.version);
  console.log(`broker jars: ${broker.dir} (${broker.jars.length} jars)`);
  if (values.tools) {
    const tools = await ensureKafkaToolsClasspath(values.version);
    console.log(`tools jars: ${tools.dir} (${tools.jars.length} jars)`);
  }
  console.log(`ready in ${Date.now() - started} ms`);
} else if (command === "start") {
  const started = Date.now();
  const kafka = await startKafka({
    ...(values.version ? { version: values.version } : {}),
    ...(values.partitions ? { partitions: Number(values.partitions) } : {}),
    ...(values["log-dir"] ? { logDir: values["log-dir"] } : {}),
  });
  // The bootstrap address alone on stdout, so scripts can capture it; the rest on stderr.
  console.log(kafka.bootstrap);
  console.error(
    `Kafka ${kafka.version} serving on ${kafka.bootstrap} after ${Date.now() - started} ms ` +
      `(pid ${kafka.pid}, log ${kafka.logFile}); SIGINT/SIGTERM stops it`,
  );
  const keepAlive = setInterval(() => {}, 1 << 30);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.error(`${signal}: stopping Kafka`);
  await kafka.stop();
  clearInterval(keepAlive);
} else {
  console.error("usage: cli.ts fetch [--tools] [--version V] | start [--version V] [--partitions N] [--log-dir DIR]");
  process.exitCode = command === "help" ? 0 : 2;
}
