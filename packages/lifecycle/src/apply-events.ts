import {
  claimMessageIds,
  insertOutboxRows,
  insertTimelineRows,
  lockOrderStates,
  type PoolClient,
  type sql,
  updateOrderStates,
} from "@orders/db";
import {
  type Decision,
  type DecisionContext,
  decide,
  type FollowUp,
  type LifecycleEvent,
  ORDER_AGGREGATE,
  type OrderState,
  orderCancelledPayload,
  orderConfirmedPayload,
  uuidv7,
} from "@orders/domain";
import { type FollowUpRequest, insertFollowUps, type JobQueue } from "./follow-ups.ts";

/** One event to apply to one order: a consumed record, a cancel request, a job's finding. */
export interface IncomingEvent {
  /** Dedup key in processed_messages (ce_id, or a synthetic id for internal events). */
  readonly messageId: string;
  readonly orderId: string;
  readonly event: LifecycleEvent;
  /** W3C trace context for the outbox row of the event this causes (the API's request). */
  readonly traceparent?: string | null;
}

export interface ApplyOptions {
  /** Name in processed_messages, e.g. the consumer group. */
  readonly consumer: string;
  /** CloudEvents source of the events this writes to the outbox. */
  readonly source: string;
  readonly decision: DecisionContext;
  /** Follow-up jobs are inserted here, on the transaction's client. */
  readonly jobs: JobQueue;
  readonly now?: () => Date;
}

export type ApplyOutcome =
  | { readonly kind: "duplicate" }
  | { readonly kind: "unknown_order" }
  | { readonly kind: "applied"; readonly emitted: string | null; readonly followUps: readonly FollowUp[] }
  | { readonly kind: "skipped"; readonly reason: string; readonly note: string };

interface Working {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly readVersion: number;
  version: number;
  state: OrderState;
}

/**
 * The one writer of the order lifecycle: applies `events` (in the given order) on `client`,
 * which must be inside a transaction. Per event: claim its id in processed_messages (a
 * duplicate is skipped), decide on the locked order, and write the new state (version
 * checked), a timeline row, the outbox row of any event it produces and its follow-up jobs.
 * Everything commits or rolls back with the caller's transaction, so an event is applied
 * exactly once or not at all. Events for orders that do not exist are neither claimed nor
 * applied (`unknown_order`: the consumer dead-letters, the API answers 404).
 */
export async function applyEvents(client: PoolClient, events: readonly IncomingEvent[], options: ApplyOptions): Promise<ApplyOutcome[]> {
  if (events.length === 0) return [];
  const now = options.now?.() ?? new Date();
  const orders = new Map<string, Working>();
  for (const row of await lockOrderStates(client, [...new Set(events.map((e) => e.orderId))])) {
    orders.set(row.id, { ...row, readVersion: row.version });
  }
  const claimed = await claimMessageIds(
    client,
    options.consumer,
    events.filter((e) => orders.has(e.orderId)).map((e) => e.messageId),
  );

  const outcomes: ApplyOutcome[] = [];
  const timeline: sql.TimelineRow[] = [];
  const outbox: sql.OutboxEventRow[] = [];
  const followUps: FollowUpRequest[] = [];
  for (const e of events) {
    const order = orders.get(e.orderId);
    if (!order) {
      outcomes.push({ kind: "unknown_order" });
      continue;
    }
    // The first occurrence of an id in the batch takes the claim; later ones are duplicates.
    if (!claimed.delete(e.messageId)) {
      outcomes.push({ kind: "duplicate" });
      continue;
    }
    const decision: Decision = decide(order.state, e.event, options.decision);
    if (decision.kind === "skip") {
      timeline.push({
        orderId: order.id,
        status: order.state.status,
        reason: `skipped ${e.event.type}: ${decision.reason} (${decision.note})`,
        causedBy: e.messageId,
      });
      outcomes.push({ kind: "skipped", reason: decision.reason, note: decision.note });
      continue;
    }
    order.state = decision.next;
    order.version += 1;
    timeline.push({ orderId: order.id, status: decision.next.status, reason: decision.note, causedBy: e.messageId });
    let emitted: string | null = null;
    if (decision.emit) {
      const refund = decision.followUps.some((f) => f.type === "RefundPayment");
      const payload =
        decision.emit.type === "OrderConfirmed"
          ? orderConfirmedPayload(order, now)
          : orderCancelledPayload(order, decision.emit.reason, refund, now);
      outbox.push({
        id: uuidv7(),
        aggregateType: ORDER_AGGREGATE,
        aggregateId: order.id,
        type: decision.emit.type,
        payload,
        source: options.source,
        time: now.toISOString(),
        traceparent: e.traceparent ?? null,
      });
      emitted = decision.emit.type;
    }
    for (const f of decision.followUps) followUps.push({ orderId: order.id, followUp: f, causedBy: e.messageId });
    outcomes.push({ kind: "applied", emitted, followUps: decision.followUps });
  }

  const changed = [...orders.values()].filter((o) => o.version !== o.readVersion);
  const updated = await updateOrderStates(
    client,
    changed.map((o) => ({ id: o.id, ...o.state, expectedVersion: o.readVersion, newVersion: o.version })),
  );
  // Rows are locked, so this cannot happen short of a bug; fail the whole transaction if it does.
  if (updated !== changed.length) throw new Error(`version conflict: updated ${updated} of ${changed.length} orders`);
  await insertTimelineRows(client, timeline);
  await insertOutboxRows(client, outbox);
  if (followUps.length > 0) await insertFollowUps(options.jobs, client, followUps);
  return outcomes;
}
