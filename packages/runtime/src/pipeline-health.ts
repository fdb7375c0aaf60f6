/**
 * Pipeline health (`/health/pipeline`): is the work flowing, not "is the process alive" (that is
 * `/healthz`) nor "do the dependencies answer" (`/readyz`). A backlog past its bound reports
 * "degraded" with 503 so an HTTP probe or a dashboard can see it; it must never be wired to a
 * liveness probe — restarting a healthy worker does not drain a backlog (docs/operations.md).
 */
export interface PipelineBound {
  /** e.g. "oldest_unpublished_age_seconds", "consumer_lag_records". */
  readonly name: string;
  /** The current value; null when not known yet (counts as within bounds). */
  readonly value: () => number | null | Promise<number | null>;
  /** Degraded when the value is above this. */
  readonly max: number;
}

export interface PipelineCheck {
  readonly value: number | null;
  readonly max: number;
  readonly status: "ok" | "degraded" | "unknown";
}

export interface PipelineReport {
  readonly degraded: boolean;
  readonly checks: Readonly<Record<string, PipelineCheck>>;
}

export interface PipelineHealth {
  check(): Promise<PipelineReport>;
}

export function createPipelineHealth(bounds: readonly PipelineBound[]): PipelineHealth {
  for (const b of bounds) {
    if (!(b.max > 0)) throw new Error(`pipeline health: bound of ${b.name} must be > 0, got ${b.max}`);
  }
  return {
    async check() {
      const checks: Record<string, PipelineCheck> = {};
      for (const b of bounds) {
        let value: number | null = null;
        try {
          value = await b.value();
        } catch {
          value = null;
        }
        const status = value === null || Number.isNaN(value) ? "unknown" : value > b.max ? "degraded" : "ok";
        checks[b.name] = { value, max: b.max, status };
      }
      return { degraded: Object.values(checks).some((c) => c.status === "degraded"), checks };
    },
  };
}

/** 200 `{"status":"ok"}` or 503 `{"status":"degraded"}`, with every check's value and bound. */
export const pipelineHealthResponse = (report: PipelineReport): { status: number; body: string } => ({
  status: report.degraded ? 503 : 200,
  body: JSON.stringify({ status: report.degraded ? "degraded" : "ok", checks: report.checks }),
});

/** The largest value of a prom-client gauge across its label sets (null when it has none). */
export async function gaugeMax(gauge: {
  get(): Promise<{ values: { value: number }[] }> | { values: { value: number }[] };
}): Promise<number | null> {
  const { values } = await gauge.get();
  return values.length === 0 ? null : Math.max(...values.map((v) => v.value));
}
