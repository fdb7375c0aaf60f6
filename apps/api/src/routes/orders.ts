import { getOrderAdjustments, listOrders, type Pool } from "@orders/db";
import { AppError, CreateOrderRequestSchema, type RefundPolicy, uuidv7 } from "@orders/domain";
import { traceparentOf } from "@orders/runtime";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import type { ApiMetrics } from "../metrics.ts";
import { readJson } from "../middleware/json-body.ts";
import {
  AdminPageQuerySchema,
  CancellationRequestSchema,
  IdempotencyKeySchema,
  OrderIdParamSchema,
  type OrderView,
  ReceiptRequestSchema,
  ReturnIdParamSchema,
  ReturnRequestSchema,
  UserIdParamSchema,
  UserPageQuerySchema,
} from "../schemas.ts";
import { type AdjustOrderInput, adjustOrderIdempotently, jsonResponse, toOrderLinesView, toReturnView } from "../services/adjust-order.ts";
import { type CancelOrderDeps, cancelOrder } from "../services/cancel-order.ts";
import { type CreateOrderDeps, createOrderIdempotently } from "../services/create-order.ts";
import type { OrderReads } from "../services/order-reads.ts";
import { toOrderSummaryView, toOrderView } from "../services/order-view.ts";
import { assertMayList, bodyLimitOf, decodeCursor, encodeCursor, query as pageQuery, param } from "./request.ts";

export interface OrderRouteDeps extends CreateOrderDeps, CancelOrderDeps {
  readonly pool: Pool;
  /** Order detail and a customer's list: from the replica when there is one (issue 17). */
  readonly reads: OrderReads;
  /** Return window and damaged-unit refunds (RETURN_WINDOW_DAYS, REFUND_DAMAGED_UNITS). */
  readonly refundPolicy: RefundPolicy;
  readonly metrics: ApiMetrics;
  readonly bodyLimitBytes: number;
}

/**
 * What a customer reads of the timeline: every applied step, without the writer's internal skip
 * diagnostics (`skipped <Type>: <REASON> (…)`), which stay for admins (issue 13).
 */
const forViewer = (view: OrderView, user: { admin: boolean }): OrderView =>
  user.admin ? view : { ...view, timeline: view.timeline.filter((t) => !t.reason.startsWith("skipped ")) };

/** A read after the caller's own write (docs/api.md, `X-Min-Version`) is not served by a lagging replica. */
const wantsOwnWrite = (c: Context<AppEnv>) => c.req.header("x-min-version") !== undefined;

export function orderRoutes(deps: OrderRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const limit = bodyLimitOf(deps.bodyLimitBytes);

  app.post("/", limit, async (c) => {
    const body = await readJson(c, CreateOrderRequestSchema, "order");
    const rawKey = c.req.header("idempotency-key");
    const key = param(IdempotencyKeySchema, rawKey, "Idempotency-Key");
    let result: Awaited<ReturnType<typeof createOrderIdempotently>>;
    try {
      result = await createOrderIdempotently(deps, {
        user: c.get("user"),
        body,
        idempotencyKey: key,
        requestId: c.get("requestId"),
        traceparent: traceparentOf(),
      });
    } catch (error) {
      if (error instanceof AppError && error.code === "IDEMPOTENCY_KEY_IN_FLIGHT") deps.metrics.idempotency.inc({ outcome: "in_flight" });
      if (error instanceof AppError && error.code === "IDEMPOTENCY_KEY_REUSED") deps.metrics.idempotency.inc({ outcome: "reused" });
      throw error;
    }
    deps.metrics.idempotency.inc({ outcome: result.replayed ? "replayed" : "created" });
    const headers: Record<string, string> = { ...result.headers };
    if (result.replayed) headers["Idempotent-Replayed"] = "true";
    return c.body(result.body, result.status as 201, headers);
  });

  app.get("/user/:userId", async (c) => {
    const userId = param(UserIdParamSchema, c.req.param("userId"), "userId");
    assertMayList(c.get("user"), userId);
    const query = pageQuery(UserPageQuerySchema, c);
    const page = await deps.reads.list({ userId, limit: query.limit, beforeId: decodeCursor(query.cursor) }, { fresh: wantsOwnWrite(c) });
    return c.json({ items: page.items.map(toOrderSummaryView), nextCursor: page.nextBeforeId ? encodeCursor(page.nextBeforeId) : null });
  });

  app.get("/:id", async (c) => {
    const id = param(OrderIdParamSchema, c.req.param("id"), "id");
    const user = c.get("user");
    const order = await deps.reads.detail(id.toLowerCase(), { fresh: wantsOwnWrite(c) });
    // Another user's order is indistinguishable from a missing one (no IDOR oracle).
    if (!order || (!user.admin && order.userId !== user.id)) throw new AppError("NOT_FOUND", "order not found");
    return c.json(forViewer(toOrderView(order), user));
  });

  app.get("/", async (c) => {
    if (!c.get("user").admin) throw new AppError("FORBIDDEN", "listing all orders needs the admin role");
    const query = pageQuery(AdminPageQuerySchema, c);
    const page = await listOrders(deps.pool, {
      ...(query.userId ? { userId: query.userId } : {}),
      ...(query.status ? { status: query.status } : {}),
      limit: query.limit,
      beforeId: decodeCursor(query.cursor),
    });
    return c.json({ items: page.items.map(toOrderSummaryView), nextCursor: page.nextBeforeId ? encodeCursor(page.nextBeforeId) : null });
  });

  app.post("/:id/cancel", limit, async (c) => {
    const id = param(OrderIdParamSchema, c.req.param("id"), "id");
    const view = await cancelOrder(deps, {
      user: c.get("user"),
      orderId: id.toLowerCase(),
      requestId: c.get("requestId"),
      traceparent: traceparentOf(),
    });
    return c.json(forViewer(view, c.get("user")));
  });

  // ---- partial cancellations, returns and receipts (issue 13) ---------------------------------

  /** The order as its owner (or an admin) may read it; 404 otherwise. */
  const readAdjustments = async (c: { get: (k: "user") => { id: string; admin: boolean } }, orderId: string) => {
    const found = await getOrderAdjustments(deps.pool, orderId);
    const user = c.get("user");
    if (!found || (!user.admin && found.userId !== user.id)) throw new AppError("NOT_FOUND", "order not found");
    return found;
  };
  const replyStored = (
    c: { body: (b: string, s: 200 | 201, h: Record<string, string>) => Response },
    result: { status: number; headers: Readonly<Record<string, string>>; body: string; replayed: boolean },
  ) =>
    c.body(result.body, result.status as 200 | 201, { ...result.headers, ...(result.replayed ? { "Idempotent-Replayed": "true" } : {}) });
  /**
   * An adjustment of the request's order by the request's user under its Idempotency-Key (read
   * after the body, as every route here does), replied with the stored response.
   */
  const adjust = async (
    c: Context<AppEnv>,
    orderId: string,
    input: Pick<AdjustOrderInput, "operation" | "body" | "adminOnly" | "command" | "respond">,
  ) => {
    const key = param(IdempotencyKeySchema, c.req.header("idempotency-key"), "Idempotency-Key");
    const result = await adjustOrderIdempotently(deps, {
      user: c.get("user"),
      orderId,
      idempotencyKey: key,
      traceparent: traceparentOf(),
      ...input,
    });
    return replyStored(c, result);
  };
  /** The return a command just wrote, from the state it left. */
  const writtenReturn = <R extends { id: string }>(state: { returns: readonly R[] }, returnId: string): R => {
    const ret = state.returns.find((r) => r.id === returnId);
    if (!ret) throw new AppError("INTERNAL", "the return just written is missing");
    return ret;
  };

  app.post("/:id/cancellations", limit, async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const body = await readJson(c, CancellationRequestSchema, "cancellation");
    return adjust(c, orderId, {
      operation: "POST /api/orders/{id}/cancellations",
      body,
      command: { type: "CancelLines", id: `cancellation:${uuidv7()}`, lines: body.lines, reason: body.reason },
      respond: (after) => jsonResponse(200, toOrderLinesView(orderId, after.currency, after.state)),
    });
  });

  app.get("/:id/lines", async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const found = await readAdjustments(c, orderId);
    return c.json(toOrderLinesView(orderId, found.currency, found.state));
  });

  app.post("/:id/returns", limit, async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const body = await readJson(c, ReturnRequestSchema, "return");
    const returnId = uuidv7();
    return adjust(c, orderId, {
      operation: "POST /api/orders/{id}/returns",
      body,
      command: {
        type: "RequestReturn",
        id: `return:${returnId}`,
        returnId,
        lines: body.lines,
        reason: body.reason,
        at: new Date().toISOString(),
      },
      respond: (after) =>
        jsonResponse(201, toReturnView(orderId, after.state, writtenReturn(after.state, returnId)), {
          Location: `/api/orders/${orderId}/returns/${returnId}`,
        }),
    });
  });

  app.get("/:id/returns", async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const found = await readAdjustments(c, orderId);
    return c.json({ items: found.state.returns.map((r) => toReturnView(orderId, found.state, r)) });
  });

  app.get("/:id/returns/:returnId", async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const returnId = param(ReturnIdParamSchema, c.req.param("returnId"), "returnId").toLowerCase();
    const found = await readAdjustments(c, orderId);
    const ret = found.state.returns.find((r) => r.id === returnId);
    if (!ret) throw new AppError("NOT_FOUND", "return not found");
    return c.json(toReturnView(orderId, found.state, ret));
  });

  app.post("/:id/returns/:returnId/receipts", limit, async (c) => {
    const orderId = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const returnId = param(ReturnIdParamSchema, c.req.param("returnId"), "returnId").toLowerCase();
    if (!c.get("user").admin) throw new AppError("FORBIDDEN", "recording a receipt needs the admin role");
    const body = await readJson(c, ReceiptRequestSchema, "receipt");
    return adjust(c, orderId, {
      operation: `POST /api/orders/{id}/returns/${returnId}/receipts`,
      body,
      adminOnly: true,
      command: { type: "RecordReceipt", id: `receipt:${uuidv7()}`, returnId, lines: body.lines },
      respond: (after) => jsonResponse(200, toReturnView(orderId, after.state, writtenReturn(after.state, returnId))),
    });
  });

  return app;
}
