#!/usr/bin/env node
import { parseArgs } from "node:util";
import { createPool } from "@orders/db";
import { readModelCounts, resetReadModel } from "@orders/db/read-model";
import { createRecordSender, DEFAULT_TOPIC_NAMES, parseBrokers } from "@orders/kafka";
import { replay, replayPublisher } from "@orders/outbox-relay";
import { createProgress } from "@orders/runtime";

const USAGE = `usage: projector <command> [options]

commands:
  rebuild        empty the read model, re-publish every published outbox row to ORDERS_TOPIC with
                 the relay's replay (the projector's input), and wait until the running projector
                 has stored them again (idempotent by ce_sequence; progress on stderr)
      [--timeout-seconds N]   give up waiting after N seconds without progress (default 60)
      [--include-unpublished] replay rows never marked published too: OUTBOX_MODE=debezium,
                              where Debezium publishes without marking (never with the relay)

options: --json (machine-readable output), --help
environment: READ_MODEL_DATABASE_URL, DATABASE_URL (the outbox the replay reads), KAFKA_BROKERS, ORDERS_TOPIC
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
    "timeout-seconds": { type: "string", default: "60" },
    "include-unpublished": { type: "boolean", default: false },
  },
});
const fail = (message: string): never => {
  process.stderr.write(`projector: ${message}\n`);
  process.exit(2);
};
const command = positionals[0];
if (values.help || !command) {
  process.stdout.write(USAGE);
  process.exit(command || values.help ? 0 : 2);
}
if (command !== "rebuild") fail(`unknown command ${command}`);
const readUrl = process.env.READ_MODEL_DATABASE_URL ?? fail("READ_MODEL_DATABASE_URL is not set");
const writeUrl = process.env.DATABASE_URL ?? fail("DATABASE_URL is not set");
const brokers = process.env.KAFKA_BROKERS ?? fail("KAFKA_BROKERS is not set");
const topic = process.env.ORDERS_TOPIC ?? DEFAULT_TOPIC_NAMES.orders;
const idleMs = Number(values["timeout-seconds"]) * 1000;
if (!Number.isFinite(idleMs) || idleMs <= 0) fail("--timeout-seconds must be a positive number");

const read = createPool({ connectionString: readUrl, max: 2, applicationName: "projector-cli" });
const write = createPool({ connectionString: writeUrl, max: 2, applicationName: "projector-cli" });
const sender = createRecordSender({ brokers: parseBrokers(brokers), clientId: "projector-cli" });
const started = Date.now();
let exitCode = 0;
try {
  // 1. Empty the model. The running projector keeps going: whatever it stores from now on, and
  //    everything the replay brings back, folds to the same rows (idempotent by sequence).
  await resetReadModel(read);
  // 2. The relay's replay of every published row into the projector's input topic.
  await sender.connect(topic);
  const replayProgress = createProgress("rebuild: replay");
  const replayed = await replay(
    write,
    replayPublisher(sender, topic),
    { from: "0", includeUnpublished: values["include-unpublished"] },
    {
      onProgress: (p) => replayProgress.update(p.done, p.total),
    },
  );
  replayProgress.finish();
  // 3. Wait for the projector to have stored them.
  // Every replayed row is an order's numbered event in production (rows of non-orders, tests only,
  // are not stored: the idle timeout ends the wait then).
  const target = replayed.done;
  const projectProgress = createProgress("rebuild: projected");
  let counts = await readModelCounts(read);
  let last = -1;
  let lastChange = Date.now();
  while (counts.events < target) {
    if (counts.events !== last) {
      last = counts.events;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleMs) {
      throw new Error(`the projector stored no event for ${idleMs / 1000} s (${counts.events} of ${target}); is it running?`);
    }
    projectProgress.update(counts.events, target);
    await new Promise((r) => setTimeout(r, 250));
    counts = await readModelCounts(read);
  }
  projectProgress.update(counts.events, target);
  projectProgress.finish();
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ replayed: replayed.done, events: counts.events, orders: counts.orders, ordersWithGaps: counts.ordersWithGaps, topic, seconds })}\n`
      : `rebuilt the read model: ${counts.orders} orders, ${counts.events} events (${replayed.done} rows replayed to ${topic}, ${counts.ordersWithGaps} orders with a gap) in ${seconds.toFixed(1)} s\n`,
  );
} catch (error) {
  process.stderr.write(`projector rebuild: ${(error as Error).message}\n`);
  exitCode = 1;
} finally {
  await sender.close().catch(() => {});
  await read.end();
  await write.end();
}
process.exit(exitCode);
