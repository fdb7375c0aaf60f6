/**
 * CPU accounting for bench/api from /proc: user+system time of the API, the inventory
 * simulator, this process (autocannon) and PostgreSQL (postmaster + backends, including
 * backends that already exited). On 2 shared cores the sum of these per request is what
 * bounds throughput, so the bench prints it next to the rates.
 */
import { postmasterCpuMs, postmasterPid, TICK_MS, ticks } from "../lib/cpu.ts";

export interface CpuSample {
  readonly api: number;
  readonly simulator: number;
  /** This process plus children it waited for (pgbench). */
  readonly bench: number;
  readonly postgres: number;
}

export function cpuSampler(pids: { api: number; simulator: number; postgresDataDir: string }): () => CpuSample {
  const postmaster = postmasterPid(pids.postgresDataDir);
  return () => {
    const postgres = postmasterCpuMs(postmaster);
    const [self, waited] = ticks("self");
    return {
      api: ticks(pids.api)[0] * TICK_MS,
      simulator: ticks(pids.simulator)[0] * TICK_MS,
      bench: (self + waited) * TICK_MS,
      postgres,
    };
  };
}

/** CPU milliseconds per request of each process between two samples (a printable line and the total). */
export function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number): { line: string; total: number } {
  const per = (k: keyof CpuSample) => ((after[k] - before[k]) / Math.max(1, requests)).toFixed(2);
  const total = (Object.keys(after) as (keyof CpuSample)[]).reduce((s, k) => s + after[k] - before[k], 0) / Math.max(1, requests);
  return {
    line: `CPU ms/req: api ${per("api")}  simulator ${per("simulator")}  load generator ${per("bench")}  postgres ${per("postgres")}  = ${total.toFixed(2)}`,
    total,
  };
}
