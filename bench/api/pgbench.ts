/**
 * pgbench for bench/api: one run of a generated script, and the cost of the outbox's wake-up
 * trigger measured with pgbench — the same create-order transaction with the project's wake-up
 * trigger as migrated, with no wake-up trigger at all, and with a NOTIFY in every transaction
 * (the trigger migration 0002 shipped until issue 17), one LISTEN session attached as a relay
 * would have. A NOTIFY takes a database-wide lock at commit and holds it through the commit's WAL
 * flush, so in durable mode it serialises the writers' commits (issue 17).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { PgbenchScript } from "./pgbench-scripts.ts";

export interface Figures {
  rps: number;
  /** Requests (transactions) completed in the run. */
  total: number;
  p50: number;
  p99: number;
  errors: number;
}

/** pgbench running `script` (see pgbench-scripts.ts) with `clients` sessions. */
export function pgbench(
  url: string,
  name: string,
  script: PgbenchScript,
  options: { seconds: number; clients: number /** tx/s to pace at (pgbench -R); default: as fast as it goes */; rate?: number },
): Figures {
  const binary = ["/usr/bin/pgbench", ...readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`)].find(
    existsSync,
  );
  if (!binary) throw new Error("pgbench not found (apt-get install postgresql-client)");
  const dir = mkdtempSync(join(tmpdir(), "pgbench-"));
  const scriptFile = join(dir, name);
  writeFileSync(scriptFile, script.text);
  try {
    const out = execFileSync(
      binary,
      [
        "-n",
        "-M",
        "prepared",
        "-c",
        String(options.clients),
        "-j",
        "2",
        "-T",
        String(options.seconds),
        ...(options.rate ? ["-R", String(Math.max(1, Math.round(options.rate)))] : []),
        "-f",
        scriptFile,
        ...Object.entries(script.defines).flatMap(([k, v]) => ["-D", `${k}=${v}`]),
        "-l",
        `--log-prefix=${dir}/tx`,
        url,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
    const latencies = readdirSync(dir)
      .filter((f) => f.startsWith("tx"))
      .flatMap((f) => readFileSync(join(dir, f), "utf8").trim().split("\n"))
      .map((line) => Number(line.split(" ")[2]) / 1000)
      .sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
    return { rps: tps, total: latencies.length, p50: pct(50), p99: pct(99), errors: failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bench-only: the NOTIFY-per-statement trigger of migration 0002, recreated for the comparison. */
const OLD_NOTIFY_TRIGGER = `
  CREATE OR REPLACE FUNCTION bench_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('outbox_inserted', '');
    RETURN NULL;
  END $$;
  DROP TRIGGER IF EXISTS bench_outbox_notify ON outbox;
  CREATE TRIGGER bench_outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION bench_outbox_notify();`;

export type WakeVariant = "as migrated" | "no wake-up trigger" | "NOTIFY per transaction";
export const WAKE_VARIANTS: readonly WakeVariant[] = ["as migrated", "no wake-up trigger", "NOTIFY per transaction"];

export interface WakeCost {
  readonly clients: number;
  /** Mean tx/s per variant over the rounds, and each round's figure (load average at the time). */
  readonly variants: Record<WakeVariant, { tps: number; rounds: { tps: number; p99: number; load: number; notifications: number }[] }>;
}

/**
 * The create-order transaction at `clients` sessions under each wake-up variant, `rounds` times
 * round-robin, every other round in reverse order (so a drift of the machine's load or of the
 * table's size hits every variant alike).
 */
export async function measureWakeCost(
  url: string,
  script: PgbenchScript,
  options: { clients: number; seconds: number; rounds: number },
): Promise<WakeCost> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  // One listener, as a running relay has (a NOTIFY with nobody listening costs the same lock).
  const listener = new pg.Client({ connectionString: url, application_name: "bench-listener" });
  await listener.connect();
  await listener.query("LISTEN outbox_inserted");
  let notifications = 0;
  listener.on("notification", () => notifications++);
  try {
    await admin.query(OLD_NOTIFY_TRIGGER);
    // Statement-level triggers on outbox are the wake-ups (the row-level one takes the order lock).
    const { rows } = await admin.query(
      `SELECT tgname FROM pg_trigger
        WHERE tgrelid = 'outbox'::regclass AND NOT tgisinternal AND (tgtype & 1) = 0 AND tgname <> 'bench_outbox_notify'`,
    );
    const shipped = rows.map((r) => r.tgname as string);
    const enable = async (names: string[], on: boolean) => {
      for (const n of names) await admin.query(`ALTER TABLE outbox ${on ? "ENABLE" : "DISABLE"} TRIGGER ${pg.escapeIdentifier(n)}`);
    };
    const variants = Object.fromEntries(
      WAKE_VARIANTS.map((v) => [v, { tps: 0, rounds: [] as WakeCost["variants"][WakeVariant]["rounds"] }]),
    ) as WakeCost["variants"];
    for (let round = 0; round < options.rounds; round++) {
      // Forward, then backward: a load that drifts during a round favours no variant overall.
      for (const variant of round % 2 === 0 ? WAKE_VARIANTS : [...WAKE_VARIANTS].reverse()) {
        await enable(shipped, variant === "as migrated");
        await enable(["bench_outbox_notify"], variant === "NOTIFY per transaction");
        const before = notifications;
        const f = pgbench(url, "create-order.pgbench.sql", script, { seconds: options.seconds, clients: options.clients });
        await listener.query("SELECT 1"); // notifications still in flight arrive before its answer
        variants[variant].rounds.push({ tps: f.rps, p99: f.p99, load: loadavg()[0] as number, notifications: notifications - before });
      }
    }
    for (const v of WAKE_VARIANTS) variants[v].tps = variants[v].rounds.reduce((s, r) => s + r.tps, 0) / variants[v].rounds.length;
    await enable(shipped, true);
    await admin.query("DROP TRIGGER bench_outbox_notify ON outbox; DROP FUNCTION bench_outbox_notify()");
    return { clients: options.clients, variants };
  } finally {
    await listener.end();
    await admin.end();
  }
}

export function formatWakeCost(cost: WakeCost): string[] {
  const none = cost.variants["no wake-up trigger"].tps;
  return WAKE_VARIANTS.map((v) => {
    const { tps, rounds } = cost.variants[v];
    const each = rounds
      .map((r) => `${r.tps.toFixed(0)} (p99 ${r.p99.toFixed(0)} ms, ${r.notifications} notifications, load ${r.load.toFixed(1)})`)
      .join(", ");
    return `  ${v.padEnd(24)} ${tps.toFixed(0).padStart(6)} tx/s = ${(tps / none).toFixed(2)} of no trigger   [${each}]`;
  });
}
