#!/usr/bin/env node
import { parseArgs } from "node:util";
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

options: --json (machine-readable output), --help
environment: DATABASE_URL, PAYMENT_URL (required)
exit status: 0 nothing left to do, 1 error, 3 mismatches remain (reported for a human, failed, or --dry-run)
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
const databaseUrl = process.env.DATABASE_URL ?? fail("DATABASE_URL is not set");
const paymentUrl = process.env.PAYMENT_URL ?? fail("PAYMENT_URL is not set");

try {
  switch (command) {
    case "reconcile": {
      const remaining = await runReconcile(databaseUrl, paymentUrl, {
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
    default:
      fail(`unknown command "${command}"\n${USAGE}`);
  }
} catch (error) {
  process.stderr.write(`consumer-admin ${command}: ${(error as Error).message}\n`);
  process.exit(1);
}
