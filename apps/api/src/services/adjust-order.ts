import { completeIdempotencyKey, getOrderAdjustments, getOrderOwner, type Pool, withTransaction } from "@orders/db";
import {
  type AdjustmentCommand,
  type AdjustmentState,
  AppError,
  deriveStatuses,
  type RefundPolicy,
  type ReturnRecord,
  returnStatus,
} from "@orders/domain";
import { applyEvents, type JobQueue } from "@orders/lifecycle";
import type { Logger } from "@orders/runtime";
import type { AuthUser } from "../env.ts";
import type { OrderLinesView, ReturnView } from "../schemas.ts";
import { type IdempotencySettings, LeaseLost, requestFingerprint, runIdempotently, type StoredResponse } from "./idempotency.ts";

/** processed_messages name of the API's cancellations, returns and receipts. */
export const API_ADJUST_CONSUMER = "api-adjust";

export interface AdjustOrderDeps {
  readonly pool: Pool;
  readonly ceSource: string;
  readonly jobs: JobQueue;
  readonly idempotency: IdempotencySettings;
  readonly refundPolicy: RefundPolicy;
  readonly logger: Logger;
}

export interface AdjustOrderInput {
  readonly user: AuthUser;
  readonly orderId: string;
  readonly idempotencyKey: string;
  /** "POST /api/orders/{id}/cancellations" …: part of the request fingerprint. */
  readonly operation: string;
  readonly body: unknown;
  /** The warehouse's receipt: admins only. */
  readonly adminOnly?: boolean;
  readonly command: AdjustmentCommand;
  readonly traceparent: string | null;
  /** The response, built inside the transaction from the state just written. */
  readonly respond: (after: { currency: string; state: AdjustmentState }) => StoredResponse;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A refusal of the rules → the HTTP error (docs/api.md): the order's state → 409, the request's numbers → 422. */
function refusalError(reason: string, note: string): AppError {
  switch (reason) {
    case "NOT_CANCELLABLE":
    case "NOT_CONFIRMED":
    case "NOT_RETURNABLE":
    case "RETURN_WINDOW_CLOSED":
    case "ALREADY_APPLIED":
      return new AppError("ILLEGAL_TRANSITION", `${reason}: ${note}`);
    case "UNKNOWN_RETURN":
      return new AppError("NOT_FOUND", "return not found");
    default:
      return new AppError("INVALID_ADJUSTMENT", `${reason}: ${note}`);
  }
}

/**
 * A partial cancellation, return request or receipt: claim the Idempotency-Key (as create-order
 * does), then ONE transaction that applies the command through the lifecycle's one writer and
 * stores the response with the key. A refusal rolls back and gives the key back.
 */
export async function adjustOrderIdempotently(
  deps: AdjustOrderDeps,
  input: AdjustOrderInput,
): Promise<StoredResponse & { replayed: boolean }> {
  const { user } = input;
  const owner = await getOrderOwner(deps.pool, input.orderId);
  // Another user's order is indistinguishable from a missing one (no IDOR oracle).
  if (owner === null || (!user.admin && owner !== user.id)) throw new AppError("NOT_FOUND", "order not found");
  if (input.adminOnly && !user.admin) throw new AppError("FORBIDDEN", "recording a receipt needs the admin role");

  const scope = { userId: user.id, key: input.idempotencyKey };
  const fingerprint = requestFingerprint(`${input.operation}\n${input.orderId}`, input.body);
  return runIdempotently(deps, scope, fingerprint, (leaseToken) =>
    withTransaction(deps.pool, async (client) => {
      const [outcome] = await applyEvents(
        client,
        [
          {
            orderId: input.orderId,
            messageId: input.command.id,
            event: { type: "Adjust", command: input.command },
            traceparent: input.traceparent && TRACEPARENT.test(input.traceparent) ? input.traceparent : null,
          },
        ],
        {
          consumer: API_ADJUST_CONSUMER,
          source: deps.ceSource,
          decision: { maxPaymentAttempts: 1 },
          jobs: deps.jobs,
          refundPolicy: deps.refundPolicy,
        },
      );
      if (outcome?.kind === "skipped") throw refusalError(outcome.reason, outcome.note);
      if (outcome?.kind === "unknown_order") throw new AppError("NOT_FOUND", "order not found");
      if (outcome?.kind !== "applied") throw new AppError("INTERNAL", `not applied: ${outcome?.kind ?? "no outcome"}`);
      const after = await getOrderAdjustments(client, input.orderId);
      if (!after) throw new AppError("INTERNAL", "order vanished inside its own transaction");
      const stored = input.respond(after);
      const completed = await completeIdempotencyKey(client, { ...scope, leaseToken, ...stored, orderId: input.orderId });
      if (!completed) throw new LeaseLost();
      return stored;
    }),
  );
}

// ---- views ----------------------------------------------------------------------------------

export function toOrderLinesView(orderId: string, currency: string, state: AdjustmentState): OrderLinesView {
  const derived = deriveStatuses(state);
  return {
    orderId,
    status: state.status,
    fulfilmentStatus: derived.fulfilment,
    money: {
      status: derived.money.status,
      currency,
      captured: derived.money.captured,
      refundRequested: derived.money.refundRequested,
      refunded: derived.money.refunded,
      refundOutstanding: derived.money.refundOutstanding,
      netPaid: derived.money.netPaid,
    },
    lines: state.lines.map((l) => ({
      productId: l.productId,
      unitPrice: l.unitPrice,
      ordered: l.ordered,
      cancelled: l.cancelled,
      shipped: l.shipped,
      delivered: l.delivered,
      returnRequested: l.returnRequested,
      received: l.received,
      damaged: l.damaged,
      restocked: l.restocked,
    })),
  };
}

export function toReturnView(orderId: string, state: AdjustmentState, ret: ReturnRecord): ReturnView {
  const refunds = state.ledger
    .filter((e) => e.kind === "REFUND_REQUESTED" && ret.receipts.includes(e.cause) && e.refundId !== null)
    .map((e) => ({
      refundId: e.refundId as string,
      amount: e.amount,
      settled: state.ledger.some((s) => s.kind === "REFUND_SETTLED" && s.refundId === e.refundId),
    }));
  return {
    id: ret.id,
    orderId,
    status: returnStatus(ret, state.ledger),
    reason: ret.reason,
    requestedAt: ret.requestedAt,
    lines: ret.lines.map((l) => ({ productId: l.productId, requested: l.requested, received: l.received, damaged: l.damaged })),
    refunds,
  };
}

export const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}): StoredResponse => ({
  status,
  headers: { "Content-Type": "application/json", ...headers },
  body: JSON.stringify(body),
});
