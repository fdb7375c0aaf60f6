import { createPrng } from "./prng.ts";

/**
 * The fault classes of issue 10 (docs/reliability.md):
 * - `kill` / `pause`: SIGKILL (restart after `durationMs`) or SIGSTOP … SIGCONT of one instance
 *   of an app; a consumer pause is long enough to outlive pg-boss' job expiry (60 s);
 * - `kafka-restart`: the broker SIGKILLed, started again after `durationMs`;
 * - `postgres-restart`: PostgreSQL stopped in immediate mode, started again after `durationMs`;
 * - `payment-slow` / `inventory-slow`: every call takes 2–3.5 s for `durationMs`;
 * - `payment-down` / `inventory-down`: every call answers 503 for `durationMs`;
 * - `open-transaction`: a session holds a transaction (a row lock on one order) for `durationMs`.
 */
export const FAULT_KINDS = [
  "kill",
  "pause",
  "kafka-restart",
  "postgres-restart",
  "payment-slow",
  "payment-down",
  "inventory-slow",
  "inventory-down",
  "open-transaction",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type AppRole = "api" | "relay" | "consumer";

export interface PlannedFault {
  /** Milliseconds after the run started. */
  readonly atMs: number;
  readonly kind: FaultKind;
  /** `api-2`, `consumer-1`, `kafka`, `postgres`, `payment`, `inventory`, `session-1` (one per round). */
  readonly target: string;
  readonly durationMs: number;
}

export interface PlanOptions {
  readonly seed: number;
  /** Faults start within [startMs, windowMs] after the run started. */
  readonly windowMs: number;
  readonly startMs?: number;
  /** Instances per app role (1 or more). */
  readonly instances: Readonly<Record<AppRole, number>>;
  /** Rounds: each round injects every fault class once (a soak uses several). */
  readonly rounds?: number;
  /** How long the open transaction is held (default 90–150 s). */
  readonly openTransactionMs?: readonly [number, number];
}

/**
 * Draws the schedule from the seed: every fault class at least once per round, at random times,
 * random instances and durations. One consumer pause is placed inside the payment-down window,
 * where PaymentInitiator runs are waiting out the outage (the stale-run case of issue 10).
 */
export function planFaults(options: PlanOptions): PlannedFault[] {
  const rnd = createPrng(options.seed);
  const start = options.startMs ?? 3_000;
  const rounds = options.rounds ?? 1;
  const span = (options.windowMs - start) / rounds;
  const faults: PlannedFault[] = [];
  const instance = (role: AppRole) => `${role}-${rnd.int(1, Math.max(1, options.instances[role]))}`;
  const [txMin, txMax] = options.openTransactionMs ?? [90_000, 150_000];
  for (let r = 0; r < rounds; r++) {
    const from = start + r * span;
    const at = () => Math.round(from + rnd.next() * span);
    let pausedConsumer = "";
    for (const role of ["api", "relay", "consumer"] as const) {
      faults.push({ atMs: at(), kind: "kill", target: instance(role), durationMs: rnd.int(1_000, 5_000) });
      // api and relay pauses: 20–45 s; a consumer pause may outlive the 60 s job expiry.
      const pause = role === "consumer" ? rnd.int(20_000, 75_000) : rnd.int(20_000, 45_000);
      const target = instance(role);
      if (role === "consumer") pausedConsumer = target;
      faults.push({ atMs: at(), kind: "pause", target, durationMs: pause });
    }
    faults.push({ atMs: at(), kind: "kafka-restart", target: "kafka", durationMs: rnd.int(3_000, 12_000) });
    faults.push({ atMs: at(), kind: "postgres-restart", target: "postgres", durationMs: rnd.int(3_000, 10_000) });
    faults.push({ atMs: at(), kind: "payment-slow", target: "payment", durationMs: rnd.int(20_000, 40_000) });
    // A consumer frozen while its PaymentInitiator runs wait out the outage (retry backoff), for
    // longer than the job expiry: the stale run resumes after another one re-ran the job.
    const paymentDownAt = at();
    faults.push({ atMs: paymentDownAt, kind: "payment-down", target: "payment", durationMs: rnd.int(12_000, 20_000) });
    // The other consumer than the round's first pause, so that one does not push this one out of the outage.
    const other = options.instances.consumer > 1 ? ["consumer-1", "consumer-2"].find((c) => c !== pausedConsumer) : undefined;
    faults.push({
      atMs: paymentDownAt + rnd.int(2_000, 8_000),
      kind: "pause",
      target: other ?? instance("consumer"),
      durationMs: rnd.int(65_000, 80_000),
    });
    faults.push({ atMs: at(), kind: "inventory-slow", target: "inventory", durationMs: rnd.int(15_000, 30_000) });
    faults.push({ atMs: at(), kind: "inventory-down", target: "inventory", durationMs: rnd.int(12_000, 18_000) });
    // Early in the round, so its minutes overlap the load rather than prolong the run.
    faults.push({
      atMs: Math.round(from + (rnd.next() * span) / 3),
      kind: "open-transaction",
      // One session per round: in a soak, several may hold transactions open at once.
      target: `session-${r + 1}`,
      durationMs: rnd.int(txMin, txMax),
    });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** One line per fault: `+12.3s pause consumer-2 for 68.0s`. */
export const describeFault = (f: PlannedFault): string =>
  `+${(f.atMs / 1_000).toFixed(1)}s ${f.kind} ${f.target} for ${(f.durationMs / 1_000).toFixed(1)}s`;
