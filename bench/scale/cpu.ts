/**
 * CPU time of processes from /proc (user + system, in ms): a process alone, or PostgreSQL as the
 * postmaster, its live backends and the backends that already exited. bench/scale prints CPU per
 * event of each role next to the rates: on shared cores that is the figure that carries over to
 * another machine, the rate is not.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** [own ticks, waited-for children's ticks] of a process; zeros once it is gone. */
function ticks(pid: number): [number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
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

/** CPU ms used so far by these processes together. */
export const processesCpuMs = (pids: readonly (number | undefined)[]): number =>
  pids.reduce<number>((sum, pid) => sum + (pid ? ticks(pid)[0] * TICK_MS : 0), 0);

/** CPU ms used so far by a PostgreSQL server (postmaster, backends, exited backends). */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const [own, exited] = ticks(postmaster);
  const live = childrenOf(postmaster).reduce((sum, pid) => sum + ticks(pid)[0], 0);
  return (own + exited + live) * TICK_MS;
}

/** The 1-minute load average, for the record. */
export const loadAverage = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
