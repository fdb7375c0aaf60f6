/**
 * The pgbench scripts of bench/api, generated from the very query builders the API runs
 * (packages/db/src/sql), so the database side of the comparison cannot drift from the API:
 * each `$n` of a statement stays a parameter — a variable fresh per transaction (ids, the key, the
 * lease token) or one set once with `-D` to the text the API would send.
 */
import { newOrderDetail, sql } from "@orders/db";
import { INITIAL_ORDER_STATE, type NewOrder, newOrderTotal, ORDER_AGGREGATE, orderCreatedPayload, parseMoney } from "@orders/domain";
import utils from "pg/lib/utils.js";
import { toOrderView } from "../../apps/api/src/services/order-view.ts";

/** A value standing for a pgbench variable (`:name`) in a sample statement: fresh per transaction. */
const VAR = (name: string) => `\u0000${name}`;
const isVar = (value: unknown): value is string => typeof value === "string" && value.startsWith("\u0000");

/**
 * A pgbench script and the variables it reads (`pgbench -D name=value`). Every value the API
 * sends as a bind parameter stays a parameter here: with `-M prepared` a literal would be parsed
 * once when the statement is prepared (a JSON payload, a response body, numerics), while the API
 * has PostgreSQL parse each of them on every execution — inlining them made the denominator
 * cheaper than the API's own SQL (issue 17).
 */
export interface PgbenchScript {
  readonly text: string;
  readonly defines: Readonly<Record<string, string>>;
}

/** One statement as pgbench script text (one line: pgbench ends a command at a newline or `;`). */
function inline(q: sql.Query, prefix: string, defines: Record<string, string>): string {
  const text = q.text
    // A colon inside one of the statement's own literals would read as a variable: escape it.
    .replace(/'((?:[^']|'')*)'/g, (literal, body: string) =>
      body.includes(":") ? `E'${body.replaceAll("\\", "\\\\").replaceAll("''", "\\'").replaceAll(":", "\\x3a")}'` : literal,
    )
    .replace(/\$(\d+)/g, (_, n: string) => {
      const value = q.values[Number(n) - 1];
      if (isVar(value)) return `:${value.slice(1)}`;
      if (Array.isArray(value) && value.length > 0 && value.every(isVar)) return `ARRAY[${value.map((v) => `:${v.slice(1)}`).join(", ")}]`;
      if (value === null || value === undefined) return "NULL";
      // As node-pg would send it: the same text, parsed by PostgreSQL on every execution.
      const name = `${prefix}${n}`;
      defines[name] = utils.prepareValue(value) as string;
      return `:${name}`;
    });
  return `${text.replace(/\s*\n\s*/g, " ")};`;
}

/**
 * POST /api/orders's SQL for a 3-item order: the key claim (its own autocommit statement),
 * then the one statement writing order, items, history, outbox and completing the key.
 * First a SELECT fetching fresh ids (the API makes them in Node; one extra, trivial round trip
 * for pgbench, which slightly favours the API in the ratio).
 */
export function createOrderScript(): PgbenchScript {
  const user = "pgbench";
  const order: NewOrder = {
    id: "00000000-0000-7000-8000-000000000000",
    userId: user,
    items: [
      { productId: "abc", quantity: 1, unitPrice: parseMoney("49.99") },
      { productId: "sku-1", quantity: 1, unitPrice: parseMoney("12.50") },
      { productId: "sku-2", quantity: 1, unitPrice: parseMoney("7.05") },
    ],
    currency: "INR",
    shippingAddress: "Bhubaneswar",
    paymentMethod: "card",
    createdAt: new Date(),
  };
  const causedBy = "request:019ab000-0000-7000-8000-000000000000";
  // The exact response body the API stores, for its size.
  const body = JSON.stringify(toOrderView(newOrderDetail(order, causedBy)));
  const claim = sql.claimIdempotencyKey({
    userId: user,
    key: VAR("k"),
    fingerprint: "0".repeat(64),
    leaseToken: VAR("lt"),
    leaseMs: 30_000,
    ttlMs: 86_400_000,
  });
  const write: sql.NewOrderWrite = {
    order: {
      id: VAR("oid"),
      userId: user,
      totalAmount: newOrderTotal(order),
      currency: order.currency,
      shippingAddress: order.shippingAddress,
      paymentMethod: order.paymentMethod,
      createdAt: order.createdAt,
      ...INITIAL_ORDER_STATE,
    },
    items: order.items.map((i, n) => ({ id: VAR(`i${n}`), productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice })),
    history: { status: "PENDING", reason: "order placed", causedBy, at: order.createdAt },
    event: {
      id: VAR("eid"),
      aggregateType: ORDER_AGGREGATE,
      type: "OrderCreated",
      payload: orderCreatedPayload(order),
      source: "/order-service/api",
      time: order.createdAt.toISOString(),
      traceparent: null,
    },
  };
  const insert = sql.insertNewOrderRowsCompletingKey(write, {
    userId: user,
    key: VAR("k"),
    leaseToken: VAR("lt"),
    status: 201,
    headers: { "Content-Type": "application/json", Location: "/api/orders/00000000-0000-7000-8000-000000000000" },
    body,
  });
  const defines: Record<string, string> = {};
  const text = [
    "-- Generated by bench/api/pgbench-scripts.ts from packages/db/src/sql: POST /api/orders's statements.",
    "SELECT uuidv7() AS oid, uuidv7() AS i0, uuidv7() AS i1, uuidv7() AS i2, uuidv7() AS eid, gen_random_uuid()::text AS k, gen_random_uuid() AS lt \\gset",
    inline(claim, "claim_", defines),
    inline(insert, "insert_", defines),
    "",
  ].join("\n");
  return { text, defines };
}

/**
 * GET /api/orders/{id}'s one statement on a random one of the 2 000 ids in `bench_ids` (the id
 * is looked up by a sub-select in the same statement: one round trip, as for the API).
 */
export function getOrderScript(): PgbenchScript {
  const q = sql.selectOrderDetail(VAR("id"));
  const defines: Record<string, string> = {};
  const text = [
    "-- Generated by bench/api/pgbench-scripts.ts from packages/db/src/sql: GET /api/orders/{id}'s statement.",
    "\\set n random(1, 2000)",
    inline(q, "detail_", defines).replace(":id", "(SELECT id FROM bench_ids WHERE n = :n)"),
    "",
  ].join("\n");
  return { text, defines };
}
