/**
 * Fault injection for the simulated service: tests flip it at runtime through the admin
 * endpoint, operators set the start-up values through the environment.
 * - `up`: answers normally, except a `failureRate` share of requests fails with 503;
 * - `down`: every business request fails with 503;
 * - `slow`: every business request waits `latencyMs` (up to `latencyMaxMs` when that is larger:
 *   a uniform delay in between) — the caller's timeout should fire;
 * - `flapping`: alternates `flapEvery` failed requests with `flapEvery` good ones.
 */
export const FAULT_MODES = ["up", "down", "slow", "flapping"] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultSettings {
  readonly mode: FaultMode;
  /** 0..1, applied in `up` mode. */
  readonly failureRate: number;
  /** Added to every business request (and the whole delay in `slow` mode). */
  readonly latencyMs: number;
  /** When above `latencyMs`, each delay is drawn uniformly from [latencyMs, latencyMaxMs]. */
  readonly latencyMaxMs?: number;
  readonly flapEvery: number;
}

export const NO_FAULTS: FaultSettings = { mode: "up", failureRate: 0, latencyMs: 0, flapEvery: 1 };

export type FaultVerdict = { readonly fail: boolean; readonly delayMs: number };

export class FaultInjector {
  #settings: FaultSettings;
  #counter = 0;
  readonly #random: () => number;

  constructor(settings: FaultSettings = NO_FAULTS, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  get settings(): FaultSettings {
    return this.#settings;
  }

  update(patch: Partial<FaultSettings>): FaultSettings {
    this.#settings = { ...this.#settings, ...patch };
    this.#counter = 0;
    return this.#settings;
  }

  /** Decides the fate of the next business request. */
  next(): FaultVerdict {
    const s = this.#settings;
    const n = this.#counter++;
    const delayMs = this.delayMs();
    switch (s.mode) {
      case "down":
        return { fail: true, delayMs };
      case "slow":
        return { fail: false, delayMs };
      case "flapping":
        return { fail: Math.floor(n / Math.max(1, s.flapEvery)) % 2 === 0, delayMs };
      default:
        return { fail: this.#random() < s.failureRate, delayMs };
    }
  }

  /** The latency of one request: `latencyMs`, or uniform up to `latencyMaxMs` when that is larger. */
  delayMs(): number {
    const { latencyMs, latencyMaxMs = 0 } = this.#settings;
    return latencyMaxMs > latencyMs ? latencyMs + Math.floor(this.#random() * (latencyMaxMs - latencyMs)) : latencyMs;
  }
}
