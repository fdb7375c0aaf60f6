/**
 * CPU time of processes from /proc (user + system, in ms): a process alone, or PostgreSQL as the
 * postmaster, its live backends and the backends that already exited. The benches print CPU per
 * request or event of each role next to the rates: on shared cores that is the figure that
 * carries over to another machine, the rate is not.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const TICK_MS = 10; // USER_HZ = 100 on Linux

/** [own ticks, waited-for children's ticks] from /proc/<pid>/stat; zeros once it is gone. */
export function ticks(pid: number | "self"): [number, number] {
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

/** CPU ms used so far by these processes together. */
export const processesCpuMs = (pids: readonly (number | undefined)[]): number =>
  pids.reduce<number>((sum, pid) => sum + (pid ? ticks(pid)[0] * TICK_MS : 0), 0);

/** The postmaster's pid of the PostgreSQL server with this data directory. */
export const postmasterPid = (dataDir: string): number => Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);

/** CPU ms used so far by a PostgreSQL server given its postmaster (postmaster, backends, exited backends). */
export function postmasterCpuMs(postmaster: number): number {
  const [own, exited] = ticks(postmaster);
  const live = childrenOf(postmaster).reduce((sum, pid) => sum + ticks(pid)[0], 0);
  return (own + exited + live) * TICK_MS;
}

/** CPU ms used so far by a PostgreSQL server (postmaster, backends, exited backends). */
export const postgresCpuMs = (dataDir: string): number => postmasterCpuMs(postmasterPid(dataDir));

/** The 1-minute load average, for the record. */
export const loadAverage = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** [user, system] ticks of a pid (0 once gone). */
export function userSystem(pid: number): [number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [Number(f[11]), Number(f[12])];
  } catch {
    return [0, 0];
  }
}

/** PostgreSQL's [user, system] ticks: postmaster, exited backends (cutime/cstime) and live children. */
export function postgresUserSystem(postmaster: number): [number, number] {
  const stat = readFileSync(`/proc/${postmaster}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let user = Number(f[11]) + Number(f[13]);
  let system = Number(f[12]) + Number(f[14]);
  for (const pid of readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
    const [u, s] = userSystem(Number(pid));
    user += u;
    system += s;
  }
  return [user, system];
}
