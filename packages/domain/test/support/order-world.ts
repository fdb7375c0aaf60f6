import { type FollowUp, INITIAL_ORDER_STATE, type LifecycleEvent, type OrderState } from "../../src/index.ts";

/*
 * What the property tests' models of one order share: the order's state, the records on the
 * topics not yet consumed, the pg-boss jobs waiting to run, and the inventory's one answer.
 */

/** What a charge of one attempt comes to at the payment service / gateway. */
export type ChargeOutcome = "success" | "retryable" | "declined";

/** Item `pick` (modulo the length) of `list`, removed from it unless `keep`. */
export function take<T>(list: T[], pick: number, keep = false): T | undefined {
  if (list.length === 0) return undefined;
  const i = pick % list.length;
  const item = list[i] as T;
  if (!keep) list.splice(i, 1);
  return item;
}

export abstract class OrderWorld {
  state: OrderState = INITIAL_ORDER_STATE;
  /** Records on the topics, not yet consumed (any order, any number of times). */
  inFlight: LifecycleEvent[] = [];
  /** pg-boss jobs waiting to run. */
  jobs: FollowUp[] = [];
  inventoryAnswered = false;

  /** The consumer applies one record through the decision table. */
  abstract apply(event: LifecycleEvent): unknown;

  /**
   * The start of one settling round: the inventory answers if it has not yet, every record in
   * flight is delivered; returns the jobs that were waiting (the caller runs them).
   */
  protected deliverAll(): FollowUp[] {
    if (!this.inventoryAnswered) {
      this.inventoryAnswered = true;
      this.apply({ type: "InventoryReserved" });
    }
    const events = this.inFlight;
    this.inFlight = [];
    for (const e of events) this.apply(e);
    const jobs = this.jobs;
    this.jobs = [];
    return jobs;
  }
}

/** The steps both models play alike: a record delivered (a copy kept on the topic, or not), a cancel, the pending deadline. */
export type SharedStep = { kind: "deliver"; pick: number; keepCopy: boolean } | { kind: "cancel" } | { kind: "timeout" };

const SHARED_KINDS: ReadonlySet<string> = new Set<SharedStep["kind"]>(["deliver", "cancel", "timeout"]);
export const isSharedStep = (s: { readonly kind: string }): s is SharedStep => SHARED_KINDS.has(s.kind);

export function playShared(w: OrderWorld, s: SharedStep): void {
  switch (s.kind) {
    case "deliver": {
      const e = take(w.inFlight, s.pick, s.keepCopy);
      if (e) w.apply(e);
      break;
    }
    case "cancel":
      w.apply({ type: "CancelRequested", reason: "user" });
      break;
    case "timeout":
      w.apply({ type: "PendingTimeout" });
      break;
  }
}
