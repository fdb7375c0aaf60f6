/**
 * The fault soak (not CI): `npm run soak --workspace devkit/stack`.
 *   FAULT_SEED      seed to replay (default: a random one, printed)
 *   FAULT_ORDERS    orders (default 10 000)
 *   FAULT_WINDOW_S  seconds over which orders and faults are spread (default 900)
 *   FAULT_ROUNDS    how many times every fault class is injected (default 8)
 *   FAULT_OPEN_TX_S how long the open transaction is held, at least (default 150; up to 1.5×)
 *   FAULT_REPORT    write the JSON report here too
 * Prints the seed, every fault, the summary and each violation with its order's timeline;
 * exits 1 on any violation.
 */
import { writeFile } from "node:fs/promises";
import { randomSeed } from "./prng.ts";
import { describeViolations, runFaultSuite, summarize } from "./run.ts";
import { startFaultServers } from "./servers.ts";

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
};

const seed = num("FAULT_SEED", randomSeed());
const orders = num("FAULT_ORDERS", 10_000);
const windowMs = num("FAULT_WINDOW_S", 900) * 1_000;
const rounds = num("FAULT_ROUNDS", 8);
const openTxMs = num("FAULT_OPEN_TX_S", 150) * 1_000;
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => console.log(`${stamp()} ${line}`);

const servers = await startFaultServers(log);
let code = 0;
try {
  const report = await runFaultSuite({
    seed,
    orders,
    windowMs,
    rounds,
    servers,
    settleTimeoutMs: 600_000,
    openTransactionMs: [openTxMs, Math.round(openTxMs * 1.5)],
    log,
  });
  console.log(`\n${summarize(report)}`);
  if (report.violations.length > 0) console.log(`\n${describeViolations(report, 100)}`);
  if (process.env.FAULT_REPORT) await writeFile(process.env.FAULT_REPORT, JSON.stringify(report, null, 1));
  code = report.ok ? 0 : 1;
} finally {
  await servers.stop();
}
process.exit(code);
