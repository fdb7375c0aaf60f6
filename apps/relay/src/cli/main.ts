#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runReplay } from "./replay.ts";
import { runRetryFailed } from "./retry-failed.ts";
import { runStatus } from "./status.ts";

const USAGE = `usage: relay <command> [options]

commands:
  status                      backlog, oldest unpublished age, parked rows, per-type counts, lag
  retry-failed                un-park parked rows so the relay publishes them again
      [--aggregate-id ID]       only this order's rows
  replay --from X --to Y      re-publish already-published rows in order (X, Y: outbox sequence
      [--aggregate-id ID]       numbers, inclusive, or ISO-8601 times of created_at, [from, to))
      [--type TYPE]
      [--background]            queue it as a pg-boss job for a running relay instead
      [--include-unpublished]   rows never marked published too (OUTBOX_MODE=debezium only:
                                Debezium never marks them; with the relay it would overtake it)

options: --json (machine-readable output), --help
environment: DATABASE_URL (required), KAFKA_BROKERS (replay), ORDERS_TOPIC
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
    from: { type: "string" },
    to: { type: "string" },
    "aggregate-id": { type: "string" },
    type: { type: "string" },
    background: { type: "boolean", default: false },
    "include-unpublished": { type: "boolean", default: false },
  },
});

const command = positionals[0];
const fail = (message: string): never => {
  process.stderr.write(`relay: ${message}\n`);
  process.exit(2);
};
if (values.help || !command) {
  process.stdout.write(USAGE);
  process.exit(command || values.help ? 0 : 2);
}
const databaseUrl = process.env.DATABASE_URL ?? fail("DATABASE_URL is not set");

try {
  switch (command) {
    case "status":
      await runStatus(databaseUrl, { json: values.json });
      break;
    case "retry-failed":
      await runRetryFailed(databaseUrl, { json: values.json, aggregateId: values["aggregate-id"] ?? null });
      break;
    case "replay":
      if (!values.from && !values.to && !values["aggregate-id"] && !values.type) fail("replay needs --from/--to, --aggregate-id or --type");
      await runReplay(databaseUrl, {
        json: values.json,
        background: values.background,
        request: {
          ...(values.from ? { from: values.from } : {}),
          ...(values.to ? { to: values.to } : {}),
          ...(values["aggregate-id"] ? { aggregateId: values["aggregate-id"] } : {}),
          ...(values.type ? { type: values.type } : {}),
          ...(values["include-unpublished"] ? { includeUnpublished: true } : {}),
        },
      });
      break;
    default:
      fail(`unknown command "${command}"\n${USAGE}`);
  }
} catch (error) {
  process.stderr.write(`relay ${command}: ${(error as Error).message}\n`);
  process.exit(1);
}
