import { getOrderDetail, type Pool } from "@orders/db";
import { listOrderHistory, orderEventsOf, orderHistoryHead, writeSideOrderVersion } from "@orders/db/read-model";
import { AppError, isCustomerFacing, isUuid } from "@orders/domain";
import { prometheus } from "@orders/runtime";
import { type Context, Hono, type Next } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../env.ts";
import { AdminPageQuerySchema, OrderIdParamSchema, UserIdParamSchema, UserPageQuerySchema } from "../schemas.ts";
import { toOrderSummaryView } from "../services/order-view.ts";
import { assertMayList, decodeCursor, encodeCursor, query } from "./request.ts";

/**
 * The read side of the API (issue 15; docs/api.md "Read model and read-your-writes"):
 * - every response that changed an order (a 2xx to a POST under /api/orders) carries
 *   `Order-Version: <n>`, the order's version after the change (OrderStatusChanged carries the same);
 * - with a read model (READ_MODEL_DATABASE_URL), the history and admin-list pages come from it; a request
 *   with `X-Min-Version: <order id>:<n>` waits up to the configured bound for the projection to reach
 *   version n of that order, else is answered by the write side (`X-Read-Source` says which), as is
 *   every read the read model fails to answer (`read_model_errors_total`);
 * - `GET /api/orders/{id}/timeline`: the order's events (customer-facing ones for the owner, all for
 *   an admin) from the read model, or the write side's timeline without one.
 */
export interface ReadSideDeps {
  /** The write database (versions, and the fallback). */
  readonly pool: Pool;
  /** The read model's database; null: every read is served by the write side. */
  readonly readPool: Pool | null;
  /** How long a read with X-Min-Version waits for the projection before falling back. */
  readonly waitMs: number;
  readonly registry: prometheus.Registry;
  /** Poll interval while waiting (default 5 ms). */
  readonly pollMs?: number;
}

const MIN_VERSION = "x-min-version";
const SOURCE = "X-Read-Source";

/** `X-Min-Version`: `<order id>:<n>` (lists, any order) or `<n>` (an order's own path). */
function parseMinVersion(header: string | undefined, pathOrderId?: string): { orderId: string; version: number } | null {
  if (header === undefined) return null;
  const m = /^(?:([0-9a-fA-F-]{36}):)?([0-9]{1,10})$/.exec(header.trim());
  const orderId = m?.[1]?.toLowerCase() ?? pathOrderId;
  if (!m || !orderId || !isUuid(orderId))
    throw new AppError("VALIDATION_FAILED", "invalid X-Min-Version", {
      issues: [{ pointer: "/X-Min-Version", detail: "expected <order id>:<version> (or <version> on an order's own path)" }],
    });
  return { orderId, version: Number(m[2]) };
}

const param = <S extends v.GenericSchema>(schema: S, value: string | undefined, name: string): v.InferOutput<S> => {
  const r = v.safeParse(schema, value);
  if (r.success) return r.output;
  throw new AppError("VALIDATION_FAILED", `invalid ${name}`, { issues: [{ pointer: `/${name}`, detail: r.issues[0].message }] });
};

/** The order status an event leaves the order in, where the event says it. */
const statusOf = (type: string, payload: Record<string, unknown>): string | null => {
  if (type === "OrderCreated") return "PENDING";
  if (type === "OrderConfirmed") return "CONFIRMED";
  if (type === "OrderCancelled") return "CANCELLED";
  return typeof payload.status === "string" ? payload.status : null;
};

export function readSideRoutes(deps: ReadSideDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const pollMs = deps.pollMs ?? 5;
  const waited = new prometheus.Histogram({
    name: "read_your_writes_wait_seconds",
    help: "How long a read with X-Min-Version waited for the projection, by outcome (projected, fallback)",
    labelNames: ["outcome"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.registry],
  });
  const readModelErrors = new prometheus.Counter({
    name: "read_model_errors_total",
    help: "Reads the read model could not answer (unreachable, failing); the write side answered them",
    registers: [deps.registry],
  });
  const reads = new prometheus.Counter({
    name: "order_history_reads_total",
    help: "History, list and timeline reads by the store that answered (read_model, write_side)",
    labelNames: ["source"],
    registers: [deps.registry],
  });

  /** True once the read model holds version ≥ n of the order (waiting up to the bound). */
  const projected = async (readPool: Pool, want: { orderId: string; version: number } | null): Promise<boolean> => {
    if (!want) return true;
    const started = performance.now();
    const deadline = started + deps.waitMs;
    for (;;) {
      const head = await orderHistoryHead(readPool, want.orderId);
      if (head && head.version >= want.version) {
        waited.observe({ outcome: "projected" }, (performance.now() - started) / 1000);
        return true;
      }
      if (performance.now() >= deadline) {
        waited.observe({ outcome: "fallback" }, (performance.now() - started) / 1000);
        return false;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };

  // Order-Version on every response that changed an order (create, cancel, adjustments, payment
  // attempts …): the version after the change, read once it committed — unless the handler
  // already knew it and set it (create: a new order is version 1), which saves the round trip.
  app.use("*", async (c, next) => {
    await next();
    if (c.req.method !== "POST" || c.res.status < 200 || c.res.status >= 300 || c.res.headers.has("Order-Version")) return;
    const fromPath = /^\/api\/orders\/([0-9a-fA-F-]{36})(?:\/|$)/.exec(c.req.path)?.[1];
    const fromLocation = /\/api\/orders\/([0-9a-fA-F-]{36})$/.exec(c.res.headers.get("location") ?? "")?.[1];
    const id = (fromPath ?? fromLocation)?.toLowerCase();
    if (!id || !isUuid(id)) return;
    const version = await writeSideOrderVersion(deps.pool, id);
    if (version !== null) c.res.headers.set("Order-Version", String(version));
  });

  /** A read on the read model; null when it cannot answer (unreachable, failing): the write side answers instead. */
  const fromReadModel = async <T>(read: () => Promise<T | null>): Promise<T | null> => {
    try {
      return await read();
    } catch {
      readModelErrors.inc();
      return null;
    }
  };

  const page = async (c: Context<AppEnv>, next: Next, filter: { userId?: string; status?: string; limit: number; cursor?: string }) => {
    const readPool = deps.readPool;
    const want = parseMinVersion(c.req.header(MIN_VERSION));
    const beforeId = decodeCursor(filter.cursor);
    const result = readPool
      ? await fromReadModel(async () =>
          (await projected(readPool, want))
            ? await listOrderHistory(readPool, {
                ...(filter.userId ? { userId: filter.userId } : {}),
                ...(filter.status ? { status: filter.status } : {}),
                limit: filter.limit,
                beforeId,
              })
            : null,
        )
      : null;
    if (!result) {
      // No read model, it did not catch up in time, or it failed: the write side answers (routes/orders.ts).
      reads.inc({ source: "write_side" });
      await next();
      c.res.headers.set(SOURCE, "write-side");
      return;
    }
    reads.inc({ source: "read_model" });
    c.header(SOURCE, "read-model");
    return c.json({
      items: result.items.map(toOrderSummaryView),
      nextCursor: result.nextBeforeId ? encodeCursor(result.nextBeforeId) : null,
    });
  };

  app.get("/user/:userId", async (c, next) => {
    const userId = param(UserIdParamSchema, c.req.param("userId"), "userId");
    assertMayList(c.get("user"), userId);
    const q = query(UserPageQuerySchema, c);
    return page(c, next, { userId, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
  });

  app.get("/", async (c, next) => {
    if (!c.get("user").admin) throw new AppError("FORBIDDEN", "listing all orders needs the admin role");
    const q = query(AdminPageQuerySchema, c);
    return page(c, next, {
      ...(q.userId ? { userId: q.userId } : {}),
      ...(q.status ? { status: q.status } : {}),
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  });

  app.get("/:id/timeline", async (c) => {
    const id = param(OrderIdParamSchema, c.req.param("id"), "id").toLowerCase();
    const user = c.get("user");
    const readPool = deps.readPool;
    const want = parseMinVersion(c.req.header(MIN_VERSION), id);
    const held = readPool
      ? await fromReadModel(async () => {
          if (!(await projected(readPool, want))) return null;
          const head = await orderHistoryHead(readPool, id);
          return head ? { head, events: await orderEventsOf(readPool, id) } : null;
        })
      : null;
    if (held) {
      const { head, events } = held;
      if (!user.admin && head.userId !== user.id) throw new AppError("NOT_FOUND", "order not found");
      reads.inc({ source: "read_model" });
      c.header(SOURCE, "read-model");
      return c.json({
        orderId: id,
        version: head.version,
        entries: events
          .filter((e) => user.admin || isCustomerFacing(e.type, e.payload))
          .map((e) => ({
            sequence: e.sequence,
            type: e.type,
            status: statusOf(e.type, e.payload),
            reason: typeof e.payload.reason === "string" ? e.payload.reason : null,
            at: e.occurredAt,
          })),
      });
    }
    // No read model, not projected yet, or not caught up in time: the write side's timeline.
    const order = await getOrderDetail(deps.pool, id);
    if (!order || (!user.admin && order.userId !== user.id)) throw new AppError("NOT_FOUND", "order not found");
    reads.inc({ source: "write_side" });
    c.header(SOURCE, "write-side");
    return c.json({
      orderId: id,
      version: order.version,
      entries: order.timeline
        .filter((t) => user.admin || !t.reason.startsWith("skipped "))
        .map((t) => ({ sequence: null, type: "StatusRecorded", status: t.status, reason: t.reason, at: t.at })),
    });
  });

  return app;
}
