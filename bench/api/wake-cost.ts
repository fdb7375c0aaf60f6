/**
 * bench/api/wake-cost.ts — only the wake-up trigger's cost (pgbench.ts `measureWakeCost`), with
 * more rounds than bench/api/run.ts spends on it: the create-order transaction at
 * BENCH_WAKE_CLIENTS (32) sessions with the trigger as migrated, without a wake-up trigger, and
 * with a NOTIFY per transaction, round-robin, on a fresh server per mode.
 *
 *   node bench/api/wake-cost.ts   (env: BENCH_MODES=durable,fsync-off BENCH_WAKE_SECONDS=10 BENCH_WAKE_ROUNDS=4)
 */
import { loadavg } from "node:os";
import { migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import { formatWakeCost, measureWakeCost } from "./pgbench.ts";
import { createOrderScript } from "./pgbench-scripts.ts";

const MODES = (process.env.BENCH_MODES ?? "durable,fsync-off").split(",");
const options = {
  clients: Number(process.env.BENCH_WAKE_CLIENTS ?? 32),
  seconds: Number(process.env.BENCH_WAKE_SECONDS ?? 10),
  rounds: Number(process.env.BENCH_WAKE_ROUNDS ?? 4),
};

for (const mode of MODES) {
  const database = await startLocalPostgres({ durable: mode === "durable", settings: { max_connections: 200 } });
  try {
    await migrate(database.url);
    const started = loadavg()[0] as number;
    const cost = await measureWakeCost(database.url, createOrderScript(), options);
    console.log(
      `[${mode}] pgbench create-order at ${options.clients} clients, ${options.rounds} × ${options.seconds} s per variant (load ${started.toFixed(1)} → ${(loadavg()[0] as number).toFixed(1)}):`,
    );
    for (const line of formatWakeCost(cost)) console.log(line);
  } finally {
    await database.stop();
  }
}
