/**
 * CPU accounting for bench/api from /proc: user+system time of the API, the inventory
 * simulator, this process (autocannon) and PostgreSQL (postmaster + backends, including
 * backends that already exited). On 2 shared cores the sum of these per request is what
 * bounds throughput, so the bench prints it next to the rates.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** [own ticks, waited-for children's ticks] from /proc/<pid>/stat. */
function ticks(pid: number | "self"): [number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // after the comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return [Number(f[11]) + Number(f[12]), Number(f[13]) + Number(f[14])];
  } catch {
    return [0, 0];
  }
}

function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

export interface CpuSample {
  readonly api: number;
  readonly simulator: number;
  /** This process plus children it waited for (pgbench). */
  readonly bench: number;
  readonly postgres: number;
}

export function cpuSampler(pids: { api: number; simulator: number; postgresDataDir: string }): () => CpuSample {
  const postmaster = Number(readFileSync(join(pids.postgresDataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  return () => {
    const [pmOwn, pmChildren] = ticks(postmaster);
    const backends = childrenOf(postmaster).reduce((sum, pid) => sum + ticks(pid)[0], 0);
    const [self, waited] = ticks("self");
    return {
      api: ticks(pids.api)[0] * TICK_MS,
      simulator: ticks(pids.simulator)[0] * TICK_MS,
      bench: (self + waited) * TICK_MS,
      postgres: (pmOwn + pmChildren + backends) * TICK_MS,
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
