/**
 * Readiness (`/readyz`): every dependency the process needs to do its work answers now.
 * Each check is bounded by a timeout (a server that accepts and never answers must read as
 * "not ready", not hang the probe), and concurrent probes share the check in flight, so a load
 * balancer polling a stuck dependency cannot pile up connections.
 */
export type ReadinessCheck = () => Promise<unknown>;

export interface ReadinessReport {
  readonly ready: boolean;
  /** "ok", or why the check failed. */
  readonly checks: Readonly<Record<string, string>>;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
}

export function createReadiness(
  checks: Readonly<Record<string, ReadinessCheck>>,
  options: { timeoutMs?: number; isDraining?: () => boolean } = {},
): Readiness {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const inFlight = new Map<string, Promise<string>>();
  const run = (name: string, check: ReadinessCheck): Promise<string> => {
    const running = inFlight.get(name);
    if (running) return running;
    let timer: NodeJS.Timeout | undefined;
    const result = Promise.race([
      check().then(() => "ok"),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer in ${timeoutMs} ms`), timeoutMs);
        timer.unref();
      }),
    ])
      .catch((error: unknown) => (error instanceof Error ? error.message || error.name : String(error)) || "failed")
      .finally(() => {
        clearTimeout(timer);
        inFlight.delete(name);
      });
    inFlight.set(name, result);
    return result;
  };
  return {
    async check() {
      const entries = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await run(name, check)] as const));
      const results = Object.fromEntries(entries);
      if (options.isDraining?.()) return { ready: false, checks: { ...results, shutdown: "draining" } };
      return { ready: entries.every(([, r]) => r === "ok"), checks: results };
    },
  };
}

/** The HTTP answer for a report: 200 when ready, 503 otherwise; a small JSON body either way. */
export const readinessResponse = (report: ReadinessReport): { status: number; body: string } => ({
  status: report.ready ? 200 : 503,
  body: JSON.stringify({ status: report.ready ? "ok" : "unavailable", checks: report.checks }),
});
