import {
  claimMessageIds,
  insertTimelineRows,
  loadAdjustmentStates,
  loadPaymentFacts,
  lockOrderStates,
  type OrderPayment,
  type PoolClient,
  saveAdjustmentStates,
  savePaymentFacts,
  type sql,
  updateOrderStatesWithOutbox,
} from "@orders/db";
import {
  type AdjustEvent,
  type AdjustmentCommand,
  type AdjustmentDecision,
  type AdjustmentState,
  adjustmentPayload,
  cancelAllRemaining,
  DEFAULT_REFUND_POLICY,
  type Decision,
  type DecisionContext,
  decide,
  decideAdjustment,
  type FollowUp,
  type LifecycleEvent,
  ORDER_AGGREGATE,
  ORDER_STATUS_CHANGED,
  type OrderState,
  orderCancelledPayload,
  orderConfirmedPayload,
  orderStatusChangedPayload,
  type RefundPolicy,
  refundRequest,
  uuidv7,
  wholeRefundId,
} from "@orders/domain";
import { traceparentOf } from "@orders/runtime";
import { jobsInActiveTrace } from "./consumer/traced-jobs.ts";
import { type FollowUpRequest, insertFollowUps, type JobQueue } from "./follow-ups.ts";

/**
 * An event without a trace of its own (a saga job's finding, a sweep's decision) takes the active
 * span's: the outbox rows and jobs it causes continue the job's trace (issue 16).
 */
const withActiveTrace = (events: readonly IncomingEvent[]): readonly IncomingEvent[] => {
  const traceparent = traceparentOf();
  return traceparent ? events.map((e) => (e.traceparent ? e : { ...e, traceparent })) : events;
};

import { nextPayment, paymentEventPayload } from "./payment-facts.ts";
import { returnRefusedParcel } from "./refused-delivery.ts";

/** One event to apply to one order: a consumed record, a cancel request, a job's finding. */
export interface IncomingEvent {
  /** Dedup key in processed_messages (ce_id, or a synthetic id for internal events). */
  readonly messageId: string;
  readonly orderId: string;
  readonly event: LifecycleEvent | AdjustEvent;
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
  /** Return window and damaged-unit refunds (docs/lifecycle.md); defaults to DEFAULT_REFUND_POLICY. */
  readonly refundPolicy?: RefundPolicy;
}

export type ApplyOutcome =
  | { readonly kind: "duplicate" }
  | { readonly kind: "unknown_order" }
  | {
      readonly kind: "applied";
      readonly emitted: string | null;
      readonly followUps: readonly FollowUp[];
      /** Adjustment events written to the outbox (OrderLinesCancelled, ReturnRequested, …); absent when none. */
      readonly adjustments?: readonly string[];
    }
  | { readonly kind: "skipped"; readonly reason: string; readonly note: string };

interface Working {
  readonly id: string;
  readonly userId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly readVersion: number;
  version: number;
  state: OrderState;
  readonly adjBefore: AdjustmentState;
  adj: AdjustmentState;
  /** Payment attempts and the action-required deadline (issue 14). */
  readonly payBefore: OrderPayment;
  pay: OrderPayment;
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
export async function applyEvents(client: PoolClient, incoming: readonly IncomingEvent[], options: ApplyOptions): Promise<ApplyOutcome[]> {
  if (incoming.length === 0) return [];
  const events = withActiveTrace(incoming);
  const now = options.now?.() ?? new Date();
  const orders = new Map<string, Working>();
  const locked = await lockOrderStates(client, [...new Set(events.map((e) => e.orderId))]);
  const adjustments = await loadAdjustmentStates(
    client,
    locked.map((r) => ({ id: r.id, status: r.state.status })),
  );
  const payments = await loadPaymentFacts(
    client,
    locked.map((r) => r.id),
  );
  for (const row of locked) {
    const adj = adjustments.get(row.id) as AdjustmentState;
    const pay = payments.get(row.id) as OrderPayment;
    orders.set(row.id, { ...row, readVersion: row.version, adjBefore: adj, adj, payBefore: pay, pay });
  }
  const policy = options.refundPolicy ?? DEFAULT_REFUND_POLICY;
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
    if (e.event.type === "Adjust") {
      const outcome = applyAdjustment(order, e, e.event.command, policy, options, now, { timeline, outbox, followUps });
      outcomes.push(outcome);
      continue;
    }
    const decision: Decision = decide(order.state, e.event, options.decision, order.pay);
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
    const before = order.state;
    order.pay = nextPayment(order, order.pay, before, e.event, decision, options.decision, now);
    order.state = decision.next;
    order.version += 1;
    timeline.push({ orderId: order.id, status: decision.next.status, reason: decision.note, causedBy: e.messageId });
    // The lines and the ledger follow the lifecycle (capture, whole cancel, shipment, delivery,
    // whole refund); a refund the lifecycle asks for gets its id and amount from the ledger.
    const refundFollowUps = mirrorOntoLedger(order, e, before, decision, policy, now);
    const decided = decision.followUps.map((f) => (f.type === "RefundPayment" ? (refundFollowUps.shift() ?? f) : f));
    // A second capture's refund comes from the ledger alone (issue 14).
    if (decision.secondCapture) decided.push(...refundFollowUps);
    // A refused cash-on-delivery parcel comes back through the returns flow (issue 14).
    if (e.event.type === "DeliveryRefused") {
      const back = returnRefusedParcel(order.adj, e.messageId, e.event.reason, policy, now);
      order.adj = back.adj;
      decided.push(...back.refunds);
      for (const x of back.emit)
        outbox.push({
          id: uuidv7(),
          aggregateType: ORDER_AGGREGATE,
          aggregateId: order.id,
          type: x.type,
          payload: adjustmentPayload(order, x, now),
          source: options.source,
          time: now.toISOString(),
          traceparent: e.traceparent ?? null,
        });
    }
    let emitted: string | null = null;
    if (decision.emit) {
      const refund = decision.followUps.some((f) => f.type === "RefundPayment");
      const payload =
        decision.emit.type === "OrderConfirmed"
          ? orderConfirmedPayload(order, now)
          : decision.emit.type === "OrderCancelled"
            ? orderCancelledPayload(order, decision.emit.reason, refund, now)
            : paymentEventPayload(order, order.pay, decision.emit, now);
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
    // Every applied step is on `orders` (issue 15): OrderStatusChanged carries the order's state and
    // version after it, whatever else the step publishes (a shipment or delivery publishes only this).
    outbox.push({
      id: uuidv7(),
      aggregateType: ORDER_AGGREGATE,
      aggregateId: order.id,
      type: ORDER_STATUS_CHANGED,
      payload: orderStatusChangedPayload(order, { cause: e.event.type, previousStatus: before.status, reason: decision.note }, now),
      source: options.source,
      time: now.toISOString(),
      traceparent: e.traceparent ?? null,
    });
    for (const f of decided) followUps.push({ orderId: order.id, followUp: f, causedBy: e.messageId });
    outcomes.push({ kind: "applied", emitted, followUps: decided });
  }

  const changed = [...orders.values()].filter((o) => o.version !== o.readVersion);
  // One statement: the new states, the outbox rows, and each order's event counter raised by its
  // rows in the same UPDATE (one new version of an order row per chunk, not one per outbox row).
  const updated = await updateOrderStatesWithOutbox(
    client,
    changed.map((o) => ({ id: o.id, ...o.state, expectedVersion: o.readVersion, newVersion: o.version })),
    outbox,
  );
  // Rows are locked, so this cannot happen short of a bug; fail the whole transaction if it does.
  if (updated !== changed.length) throw new Error(`version conflict: updated ${updated} of ${changed.length} orders`);
  await saveAdjustmentStates(
    client,
    [...orders.values()].map((o) => ({ before: o.adjBefore, after: o.adj })),
  );
  await savePaymentFacts(
    client,
    [...orders.values()].map((o) => ({ orderId: o.id, before: o.payBefore, after: o.pay })),
  );
  await insertTimelineRows(client, timeline);
  if (followUps.length > 0) await insertFollowUps(jobsInActiveTrace(options.jobs), client, followUps);
  return outcomes;
}

interface Pending {
  readonly timeline: sql.TimelineRow[];
  readonly outbox: sql.OutboxEventRow[];
  readonly followUps: FollowUpRequest[];
}

const refundFollowUp = (f: { refundId: string; amount: string }): FollowUp => ({
  type: "RefundPayment",
  refundId: f.refundId,
  amount: f.amount,
});

/**
 * Applies one adjustment command. Cancelling every remaining unit also moves the lifecycle through
 * `decide(CancelRequested)` (the whole-order cancel), so `OrderCancelled` is published exactly as
 * before and the order's version counts one applied timeline row per event.
 */
function applyAdjustment(
  order: Working,
  e: IncomingEvent,
  command: AdjustmentCommand,
  policy: RefundPolicy,
  options: ApplyOptions,
  now: Date,
  out: Pending,
): ApplyOutcome {
  const d: AdjustmentDecision = decideAdjustment({ ...order.adj, status: order.state.status }, command, policy);
  const skipRow = (reason: string, note: string): ApplyOutcome => {
    out.timeline.push({
      orderId: order.id,
      status: order.state.status,
      reason: `skipped ${command.type}: ${reason} (${note})`,
      causedBy: e.messageId,
    });
    return { kind: "skipped", reason, note };
  };
  if (d.kind === "skip") return skipRow(d.reason, d.note);
  let lifecycleEmit: string | null = null;
  let lifecycleNext = order.state;
  if (d.orderFullyCancelled && order.state.status !== "CANCELLED") {
    const reason = command.type === "CancelLines" ? command.reason : "all units cancelled";
    const cancel = decide(order.state, { type: "CancelRequested", reason }, options.decision);
    if (cancel.kind === "skip") return skipRow(cancel.reason, cancel.note);
    lifecycleNext = cancel.next;
    lifecycleEmit = "OrderCancelled";
  }
  const outboxRow = (type: string, payload: unknown): sql.OutboxEventRow => ({
    id: uuidv7(),
    aggregateType: ORDER_AGGREGATE,
    aggregateId: order.id,
    type,
    payload,
    source: options.source,
    time: now.toISOString(),
    traceparent: e.traceparent ?? null,
  });
  const statusBefore = order.state.status;
  order.adj = { ...d.next, status: lifecycleNext.status };
  order.state = lifecycleNext;
  order.version += 1;
  out.timeline.push({ orderId: order.id, status: order.state.status, reason: d.note, causedBy: e.messageId });
  // A full cancel is published as OrderCancelled (what the inventory service has always released
  // on); a partial one as OrderLinesCancelled. Never both: stock would be released twice.
  const emits = lifecycleEmit ? d.emit.filter((x) => x.type !== "OrderLinesCancelled") : d.emit;
  if (lifecycleEmit) {
    const refund = d.followUps.some((f) => f.type === "RefundAmount");
    out.outbox.push(
      outboxRow("OrderCancelled", orderCancelledPayload(order, command.type === "CancelLines" ? command.reason : "cancelled", refund, now)),
    );
  }
  for (const x of emits) out.outbox.push(outboxRow(x.type, adjustmentPayload(order, x, now)));
  // Every applied step is on `orders` with the order's state and version after it (issue 15).
  out.outbox.push(
    outboxRow(
      ORDER_STATUS_CHANGED,
      orderStatusChangedPayload(order, { cause: command.type, previousStatus: statusBefore, reason: d.note }, now),
    ),
  );
  // Releases and restocks travel on the events themselves (OrderLinesCancelled, ReturnReceived);
  // only refunds are jobs.
  const jobs = d.followUps.flatMap((f) => (f.type === "RefundAmount" ? [refundFollowUp(f)] : []));
  for (const f of jobs) out.followUps.push({ orderId: order.id, followUp: f, causedBy: e.messageId });
  return { kind: "applied", emitted: lifecycleEmit, followUps: jobs, adjustments: emits.map((x) => x.type) };
}

/**
 * The ledger and line counters of a lifecycle step the order-level `decide()` applied. Mirrored
 * steps publish nothing of their own (the lifecycle's event says it); returns the refund
 * follow-ups the ledger asked for, which replace the lifecycle's bare `RefundPayment`.
 */
function mirrorOntoLedger(
  order: Working,
  e: IncomingEvent,
  before: OrderState,
  decision: Decision,
  policy: RefundPolicy,
  now: Date,
): FollowUp[] {
  if (decision.kind !== "apply" || e.event.type === "Adjust") return [];
  const commands: AdjustmentCommand[] = [];
  const event = e.event;
  if (decision.secondCapture) {
    // Another attempt captured already: this capture is recorded and requested back whole.
    if (order.totalAmount !== "0.00")
      commands.push({
        type: "CaptureRecorded",
        id: `${e.messageId}:capture`,
        amount: order.totalAmount as never,
        secondOf: decision.secondCapture,
      });
  } else if (event.type === "PaymentSuccess" || (before.paymentStatus !== "SUCCEEDED" && decision.next.paymentStatus === "SUCCEEDED")) {
    // A zero total captures nothing the ledger could hold (amounts are > 0).
    if (decision.next.paymentStatus === "SUCCEEDED" && order.totalAmount !== "0.00")
      commands.push({ type: "CaptureRecorded", id: `${e.messageId}:capture`, amount: order.totalAmount as never });
  }
  if (decision.emit?.type === "OrderCancelled") {
    commands.push(cancelAllRemaining(order.adj, `${e.messageId}:cancel`, decision.emit.reason));
  }
  if (event.type === "PaymentRefunded") {
    const refundId = wholeRefundId(order.id);
    const request = refundRequest(order.adj.ledger, refundId);
    if (request) commands.push({ type: "RefundSettled", id: `${e.messageId}:settled`, refundId, amount: request.amount });
  }
  if (event.type === "OrderShipped") commands.push({ type: "LinesShipped", id: `${e.messageId}:shipped` });
  if (event.type === "OrderDelivered") commands.push({ type: "LinesDelivered", id: `${e.messageId}:delivered`, at: now.toISOString() });
  const refunds: FollowUp[] = [];
  for (const command of commands) {
    const d = decideAdjustment({ ...order.adj, status: decision.next.status }, command, policy);
    if (d.kind !== "apply") continue;
    order.adj = { ...d.next, status: decision.next.status };
    for (const f of d.followUps) if (f.type === "RefundAmount") refunds.push(refundFollowUp(f));
  }
  return refunds;
}
