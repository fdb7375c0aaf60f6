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
import type pg from "pg";
import * as sql from "./sql/index.ts";

/** One event to apply to one order: a consumed record, a cancel request or the deadline. */
export interface IncomingEvent {
  /** Dedup key in processed_messages (ce_id, or a synthetic id for internal events). */
  readonly messageId: string;
  readonly orderId: string;
  readonly event: LifecycleEvent;
}

export interface FollowUpRequest {
  readonly orderId: string;
  readonly followUp: FollowUp;
  /** The message whose application asked for it. */
  readonly causedBy: string;
}

/**
 * Starts follow-up work (pg-boss jobs) on `client`, inside the caller's transaction: the job
 * exists if and only if the state change that asked for it committed.
 */
export type EnqueueFollowUps = (client: pg.PoolClient, requests: readonly FollowUpRequest[]) => Promise<void>;

export interface ApplyOptions {
  /** Name in processed_messages, e.g. the consumer group. */
  readonly consumer: string;
  /** CloudEvents source of the events this writes to the outbox. */
  readonly source: string;
  readonly decision: DecisionContext;
  readonly enqueueFollowUps: EnqueueFollowUps;
  readonly now?: () => Date;
}

export type ApplyOutcome =
  | { readonly kind: "duplicate" }
  | { readonly kind: "unknown_order" }
  | { readonly kind: "applied"; readonly emitted: string | null; readonly followUps: readonly FollowUp[] }
  | { readonly kind: "skipped"; readonly reason: string };

interface LockedOrder {
  id: string;
  userId: string;
  totalAmount: string;
  currency: string;
  version: number;
  state: OrderState;
  readVersion: number;
}

const run = (client: pg.PoolClient, q: sql.Query) =>
  client.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

/**
 * Applies `events` (in the given order) on `client`, which must be inside a transaction.
 * Per event: claim its id in processed_messages (a duplicate is skipped), decide on the locked
 * order, and write the new state (version checked), a timeline row, the outbox row of any event
 * it produces and its follow-up jobs. Everything commits or rolls back together with the
 * caller's transaction, so an event is applied exactly once or not at all. Events for orders
 * that do not exist are neither claimed nor applied (`unknown_order`: the caller dead-letters).
 */
export async function applyEvents(client: pg.PoolClient, events: readonly IncomingEvent[], options: ApplyOptions): Promise<ApplyOutcome[]> {
  if (events.length === 0) return [];
  const now = options.now?.() ?? new Date();
  const orderIds = [...new Set(events.map((e) => e.orderId))];
  const { rows } = await run(client, sql.selectOrderStatesForUpdate(orderIds));
  const orders = new Map<string, LockedOrder>();
  for (const r of rows as (OrderState & { id: string; userId: string; totalAmount: string; currency: string; version: number })[]) {
    orders.set(r.id, {
      id: r.id,
      userId: r.userId,
      totalAmount: r.totalAmount,
      currency: r.currency,
      version: r.version,
      readVersion: r.version,
      state: {
        status: r.status,
        inventoryStatus: r.inventoryStatus,
        paymentStatus: r.paymentStatus,
        deliveryStatus: r.deliveryStatus,
      },
    });
  }

  const known = events.filter((e) => orders.has(e.orderId));
  const claimed = new Set<string>();
  if (known.length > 0) {
    const res = await run(
      client,
      sql.claimMessages(
        options.consumer,
        known.map((e) => e.messageId),
      ),
    );
    for (const r of res.rows as { message_id: string }[]) claimed.add(r.message_id);
  }

  const outcomes: ApplyOutcome[] = [];
  const history: sql.TimelineRow[] = [];
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
      history.push({
        orderId: order.id,
        status: order.state.status,
        reason: `skipped ${e.event.type}: ${decision.reason} (${decision.note})`,
        causedBy: e.messageId,
      });
      outcomes.push({ kind: "skipped", reason: decision.reason });
      continue;
    }
    order.state = decision.next;
    order.version += 1;
    history.push({ orderId: order.id, status: decision.next.status, reason: decision.note, causedBy: e.messageId });
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
      });
      emitted = decision.emit.type;
    }
    for (const f of decision.followUps) followUps.push({ orderId: order.id, followUp: f, causedBy: e.messageId });
    outcomes.push({ kind: "applied", emitted, followUps: decision.followUps });
  }

  const changed = [...orders.values()].filter((o) => o.version !== o.readVersion);
  if (changed.length > 0) {
    const res = await run(
      client,
      sql.updateOrderStates(changed.map((o) => ({ id: o.id, ...o.state, expectedVersion: o.readVersion, newVersion: o.version }))),
    );
    // Rows are locked, so this cannot happen short of a bug; fail the whole transaction if it does.
    if (res.rowCount !== changed.length) throw new Error(`version conflict: updated ${res.rowCount} of ${changed.length} orders`);
  }
  if (history.length > 0) await run(client, sql.insertHistoryRows(history));
  if (outbox.length > 0) await run(client, sql.insertOutboxRows(outbox));
  if (followUps.length > 0) await options.enqueueFollowUps(client, followUps);
  return outcomes;
}

export interface OrderForPayment {
  readonly id: string;
  readonly userId: string;
  readonly status: string;
  readonly paymentStatus: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly paymentMethod: string;
}

export async function getOrderForPayment(db: Pick<pg.Pool, "query">, id: string): Promise<OrderForPayment | null> {
  const q = sql.selectOrderForPayment(id);
  const { rows } = await db.query({ text: q.text, values: q.values as unknown[], name: q.name });
  return (rows[0] as OrderForPayment | undefined) ?? null;
}

/** Ids of orders still PENDING that were created before `cutoff` (the deadline sweep). */
export async function pendingOrdersCreatedBefore(db: Pick<pg.Pool, "query">, cutoff: Date, limit: number): Promise<string[]> {
  const q = sql.selectPendingCreatedBefore(cutoff, limit);
  const { rows } = await db.query({ text: q.text, values: q.values as unknown[], name: q.name });
  return rows.map((r: { id: string }) => r.id);
}
