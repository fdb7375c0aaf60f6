#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runDlqList, runDlqRedrive, runDlqShow } from "./dlq.ts";
import { runReconcile } from "./reconcile.ts";

const USAGE = `usage: consumer-admin <command> [options]

commands:
  reconcile                   compare orders whose payment is not final (and cancelled orders not
                              REFUNDED) with the payment service's record; repair each mismatch
                              through the decision table
      [--dry-run]               list every mismatch and what would be done; change nothing
      [--min-age-ms N]          leave orders changed in the last N ms alone (default 30000)
      [--pending-bound-ms N]    abandon a cancelled order's PENDING payment after N ms even when
                                the service cannot be asked (default 120000)
      [--lookback-hours N]      ask about cancelled orders closed as FAILED changed within N hours (72)
      [--limit N]               orders per run (default 500)

  dlq list                    dead letters of the consumed topics (<topic>.dlq), one line each
  dlq show                    the same with the original headers and value
  dlq redrive                 send matching dead letters back to their original topic with the
                              original key, value and headers (dlq_* removed); the inbox drops a
                              message id already applied, so re-driving twice applies once
      [--dry-run]               list what would be re-driven; send nothing
    filters (all commands):
      [--topic T]               one consumed topic (default: inventory, payments, deliveries topics)
      [--reason R]              dlq_reason, e.g. UNKNOWN_ORDER, APPLY_FAILED, SCHEMA_INVALID
      [--order ID]              the record key (order id)
      [--since TIME] [--until TIME]   dead-lettered in [since, until) (ISO 8601)
      [--limit N]

options: --json (machine-readable output), --help
environment: reconcile: DATABASE_URL, PAYMENT_URL (required)
             dlq: KAFKA_BROKERS (required), INVENTORY_TOPIC, PAYMENTS_TOPIC, DELIVERIES_TOPIC
exit status: 0 nothing left to do, 1 error, 2 usage, 3 mismatches remain (reconcile: reported for a
             human, failed, or --dry-run; dlq list/show: never)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
    "dry-run": { type: "boolean", default: false },
    "min-age-ms": { type: "string" },
    "pending-bound-ms": { type: "string" },
    "lookback-hours": { type: "string" },
    limit: { type: "string" },
    topic: { type: "string" },
    reason: { type: "string" },
    order: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
  },
});

const command = positionals[0];
const fail = (message: string): never => {
  process.stderr.write(`consumer-admin: ${message}\n`);
  process.exit(2);
};
if (values.help || !command) {
  process.stdout.write(USAGE);
  process.exit(command || values.help ? 0 : 2);
}
const count = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fail(`--${name} must be a whole number ≥ 0, got "${raw}"`);
};
const time = (name: string, raw: string | undefined): Date | undefined => {
  if (raw === undefined) return undefined;
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? fail(`--${name} must be an ISO 8601 time, got "${raw}"`) : at;
};
const required = (name: string): string => process.env[name] || fail(`${name} is not set`);

/** The dlq commands' common options: brokers, topics and filters. */
function dlqOptions() {
  const consumed = [
    process.env.INVENTORY_TOPIC || "inventory",
    process.env.PAYMENTS_TOPIC || "payments",
    process.env.DELIVERIES_TOPIC || "deliveries",
  ];
  const since = time("since", values.since);
  const until = time("until", values.until);
  return {
    brokers: required("KAFKA_BROKERS")
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
    topics: values.topic ? [values.topic] : consumed,
    filter: {
      ...(values.reason ? { reason: values.reason } : {}),
      ...(values.order ? { orderId: values.order } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    },
    json: values.json,
    ...(values.limit !== undefined ? { limit: count("limit", values.limit, 0) } : {}),
  };
}

try {
  switch (command) {
    case "reconcile": {
      const remaining = await runReconcile(required("DATABASE_URL"), required("PAYMENT_URL"), {
        json: values.json,
        dryRun: values["dry-run"],
        minAgeMs: count("min-age-ms", values["min-age-ms"], 30_000),
        pendingBoundMs: count("pending-bound-ms", values["pending-bound-ms"], 120_000),
        lookbackMs: count("lookback-hours", values["lookback-hours"], 72) * 3_600_000,
        limit: count("limit", values.limit, 500),
      });
      process.exitCode = remaining > 0 ? 3 : 0;
      break;
    }
    case "dlq": {
      const sub = positionals[1];
      if (sub === "list") await runDlqList(dlqOptions());
      else if (sub === "show") await runDlqShow(dlqOptions());
      else if (sub === "redrive") await runDlqRedrive({ ...dlqOptions(), dryRun: values["dry-run"] });
      else fail(`unknown dlq command "${sub ?? ""}" (list, show, redrive)\n${USAGE}`);
      break;
    }
    default:
      fail(`unknown command "${command}"\n${USAGE}`);
  }
} catch (error) {
  process.stderr.write(`consumer-admin ${command}: ${(error as Error).message}\n`);
  process.exit(1);
}
