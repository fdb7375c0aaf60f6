import type { EnqueueFollowUps, FollowUpRequest } from "@orders/db";
import type { FollowUp } from "@orders/domain";
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import { jobFor } from "./queues.ts";

/** pg-boss statements run on the caller's connection, i.e. inside its transaction. */
export const onClient = (client: pg.PoolClient) => ({
  executeSql: async (text: string, values?: unknown[]) => {
    const { rows } = await client.query(text, values);
    return { rows };
  },
});

/**
 * The real `EnqueueFollowUps`: one pg-boss insert per queue on the caller's transaction, so
 * a job exists exactly when the state change that asked for it committed.
 */
export function followUpEnqueuer(boss: PgBoss): EnqueueFollowUps {
  return async (client, requests) => {
    const byQueue = new Map<string, object[]>();
    for (const r of requests) {
      const { queue, data } = jobFor(r.orderId, r.followUp, r.causedBy);
      const list = byQueue.get(queue) ?? [];
      list.push({ data });
      byQueue.set(queue, list);
    }
    for (const [queue, jobs] of byQueue) await boss.insert(queue, jobs, { db: onClient(client) });
  };
}

/** Per-order form for the API's cancel service: `enqueueFollowUps(client, orderId, followUps)`. */
export function orderFollowUpEnqueuer(boss: PgBoss, causedBy = "api") {
  const enqueue = followUpEnqueuer(boss);
  return (client: pg.PoolClient, orderId: string, followUps: readonly FollowUp[]): Promise<void> =>
    followUps.length === 0
      ? Promise.resolve()
      : enqueue(
          client,
          followUps.map((followUp): FollowUpRequest => ({ orderId, followUp, causedBy })),
        );
}
