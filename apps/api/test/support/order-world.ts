import { type Pool, withTransaction } from "@orders/db";
import type { DecisionContext, LifecycleEvent } from "@orders/domain";
import { applyEvents, type JobQueue } from "@orders/lifecycle";
import { createHarness, type Harness, type HarnessOptions } from "./harness.ts";
import { adminToken, token } from "./tokens.ts";

/** A harness plus who acts on it: alice owns the orders, bob is another customer, admin is an admin. */
export interface OrderWorld {
  readonly h: Harness;
  readonly alice: string;
  readonly bob: string;
  readonly admin: string;
}

export async function openOrderWorld(options: HarnessOptions): Promise<OrderWorld> {
  const h = await createHarness(options);
  return { h, alice: await token("alice"), bob: await token("bob"), admin: await adminToken() };
}

/**
 * What the consumer would apply for the services' answers: THE writer in one transaction, each
 * event under a fresh message id.
 */
export function consumerApplier(pool: () => Pool, decision: DecisionContext, jobs: JobQueue) {
  let n = 0;
  return (orderId: string, ...events: LifecycleEvent[]) =>
    withTransaction(pool(), (c) =>
      applyEvents(
        c,
        events.map((event) => ({ orderId, event, messageId: `test:${n++}` })),
        { consumer: "test", source: "/test", decision, jobs },
      ),
    );
}
