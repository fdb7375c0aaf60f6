/**
 * Deterministic outcomes for tests and demos, chosen by the order's user id (the simulators
 * see it in OrderCreated / the charge request). Random failure rates apply to everyone else.
 *   sim-inv-fail…      inventory answers InventoryFailure
 *   sim-inv-silent…    inventory never answers (the PENDING deadline cancels)
 *   sim-pay-decline…   payment fails for good (retryable: false)
 *   sim-pay-flaky…     every payment attempt fails retryably (cancel after the last attempt)
 *   sim-pay-retry…     attempt 1 fails retryably, attempt 2 succeeds
 *   sim-pay-card-decline…  card attempts are declined for good, other methods succeed (customer retry)
 *   sim-dlv-hold…      delivery never ships (the order stays CONFIRMED, e.g. to cancel it)
 *   sim-dlv-refuse…    the parcel ships and is refused at the door (DeliveryRefused: cash on delivery)
 */
export type Scenario =
  | "inv-fail"
  | "inv-silent"
  | "pay-decline"
  | "pay-flaky"
  | "pay-retry"
  | "pay-card-decline"
  | "dlv-hold"
  | "dlv-refuse"
  | null;

const SCENARIOS = [
  "inv-fail",
  "inv-silent",
  "pay-decline",
  "pay-flaky",
  "pay-retry",
  "pay-card-decline",
  "dlv-hold",
  "dlv-refuse",
] as const;

export function scenarioOf(userId: string | undefined): Scenario {
  if (!userId?.startsWith("sim-")) return null;
  return SCENARIOS.find((s) => userId.startsWith(`sim-${s}`)) ?? null;
}

/** A random delay in [min, max] ms. */
export const between = (minMs: number, maxMs: number, random: () => number = Math.random): number =>
  minMs + Math.floor(random() * Math.max(0, maxMs - minMs));
