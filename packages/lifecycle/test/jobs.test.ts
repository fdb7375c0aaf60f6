import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getOrderDetail, withTransaction } from "@orders/db";
import { parseMoney, uuidv7 } from "@orders/domain";
import { buildCallPolicy, createLogger } from "@orders/runtime";
import { freshDatabase, placeOrder as place, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApplyOptions,
  applyEvents,
  httpPaymentClient,
  initiatePayment,
  type PgBoss,
  QUEUES,
  startSagaBoss,
  startSagaWorkers,
  sweepPendingDeadline,
} from "../src/index.ts";

let db: TestDatabase;
let boss: PgBoss;
let server: Server;
let baseUrl: string;
const calls: { path: string; key: string | undefined; body: Record<string, unknown> }[] = [];
/** Attempts the stand-in Payment service has received, per order. */
const received = new Map<string, number[]>();
let failNext = 0;
let lookups = 0;

const logger = createLogger({ service: "jobs-test", level: "silent" });
const policy = buildCallPolicy({
  timeoutMs: 1_000,
  retries: 2,
  initialDelayMs: 10,
  maxDelayMs: 50,
  breakerThreshold: 20,
  halfOpenAfterMs: 1_000,
}).policy;

beforeAll(async () => {
  db = await freshDatabase("jobs");
  boss = await startSagaBoss({ connectionString: db.url, max: 3, retryDelaySeconds: 1 });
  // A stand-in for the Payment service's HTTP side: records calls, fails on request.
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      if (req.method === "GET") {
        lookups++;
        // GET /payments/:orderId — which attempts the service has received.
        const attempts = received.get(decodeURIComponent((req.url ?? "").split("/").pop() ?? ""));
        if (attempts) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ attempts }));
        else res.writeHead(404).end("{}");
        return;
      }
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end("busy");
        return;
      }
      const body = JSON.parse(text);
      calls.push({ path: req.url ?? "", key: req.headers["idempotency-key"] as string | undefined, body });
      if (req.url === "/payments") received.set(body.orderId, [...(received.get(body.orderId) ?? []), body.attempt]);
      res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ paymentId: "p-1", refundId: "r-1" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: true });
  server?.close();
  await db?.drop();
});

const placeOrder = (createdAt = new Date()) =>
  place(db.pool, { items: [{ productId: "abc", quantity: 3, unitPrice: parseMoney("2.50") }], paymentMethod: "upi", createdAt });

const applyOptions = (): ApplyOptions => ({
  consumer: "jobs-test",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 3 },
  jobs: boss,
});

const jobsFor = async (queue: string, orderId: string) =>
  (await db.pool.query("SELECT data FROM pgboss.job WHERE name = $1 AND data->>'orderId' = $2", [queue, orderId])).rows;

describe("follow-up jobs", () => {
  it("enqueues the PaymentInitiator job in the caller's transaction, and not at all when it rolls back", async () => {
    const committed = await placeOrder();
    await withTransaction(db.pool, (c) =>
      applyEvents(c, [{ orderId: committed, messageId: uuidv7(), event: { type: "InventoryReserved" } }], applyOptions()),
    );
    expect(await jobsFor(QUEUES.initiatePayment, committed)).toMatchObject([{ data: { orderId: committed, attempt: 1 } }]);

    const rolledBack = await placeOrder();
    await expect(
      withTransaction(db.pool, async (c) => {
        await applyEvents(c, [{ orderId: rolledBack, messageId: uuidv7(), event: { type: "InventoryReserved" } }], applyOptions());
        throw new Error("crash before commit");
      }),
    ).rejects.toThrow("crash before commit");
    expect(await jobsFor(QUEUES.initiatePayment, rolledBack)).toEqual([]);
  });

  it("charges with order id + attempt as idempotency key, through the retry policy, and skips a cancelled order", async () => {
    const id = await placeOrder();
    await withTransaction(db.pool, (c) =>
      applyEvents(c, [{ orderId: id, messageId: uuidv7(), event: { type: "InventoryReserved" } }], applyOptions()),
    );
    failNext = 2; // two 503s, then success: within the policy's retries
    const payments = httpPaymentClient(baseUrl, policy);
    expect(
      await initiatePayment({ pool: db.pool, payments, logger, apply: applyOptions() }, { orderId: id, attempt: 1, causedBy: "t" }),
    ).toBe("charged");
    expect(calls.at(-1)).toMatchObject({
      path: "/payments",
      key: `${id}:1`,
      body: { orderId: id, attempt: 1, amount: "7.50", currency: "INR", method: "upi" },
    });

    const cancelled = await placeOrder();
    await withTransaction(db.pool, (c) =>
      applyEvents(c, [{ orderId: cancelled, messageId: uuidv7(), event: { type: "CancelRequested", reason: "user" } }], applyOptions()),
    );
    const before = calls.length;
    expect(
      await initiatePayment({ pool: db.pool, payments, logger, apply: applyOptions() }, { orderId: cancelled, attempt: 1, causedBy: "t" }),
    ).toBe("skipped");
    expect(calls.length).toBe(before);
  });

  it("closes the payment of an order cancelled while it waited as FAILED, without charging, once", async () => {
    const payments = httpPaymentClient(baseUrl, policy);
    const deps = { pool: db.pool, payments, logger, apply: applyOptions() };
    const id = await placeOrder();
    await withTransaction(db.pool, (c) =>
      applyEvents(
        c,
        [
          { orderId: id, messageId: uuidv7(), event: { type: "InventoryReserved" } },
          { orderId: id, messageId: uuidv7(), event: { type: "CancelRequested", reason: "user" } },
        ],
        applyOptions(),
      ),
    );
    expect(await getOrderDetail(db.pool, id)).toMatchObject({ status: "CANCELLED", paymentStatus: "PENDING" });
    const before = calls.length;
    const job = { orderId: id, attempt: 1, causedBy: "t" };
    // Even a re-run that may follow a charge which reached the service closes the payment at once,
    // without asking the service (which may be down): a capture arriving later is refunded by the
    // decision table (docs/lifecycle.md), so closing it cannot lose money.
    received.set(id, [1]);
    const lookupsBefore = lookups;
    expect(await initiatePayment(deps, job, { previousRuns: 1 })).toBe("abandoned");
    expect(lookups).toBe(lookupsBefore);
    expect(await initiatePayment(deps, job)).toBe("skipped");
    expect(calls.length).toBe(before);
    const detail = await getOrderDetail(db.pool, id);
    expect(detail).toMatchObject({ status: "CANCELLED", paymentStatus: "FAILED" });
    const notes = detail?.timeline.map((t) => t.reason) ?? [];
    expect(notes.filter((r) => r === "payment not attempted: order cancelled")).toHaveLength(1);
    const { rows } = await db.pool.query("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY sequence", [id]);
    expect(rows.map((r) => r.type)).toEqual([
      "OrderCreated",
      "OrderStatusChanged",
      "OrderCancelled",
      "OrderStatusChanged",
      "OrderStatusChanged",
    ]);
  });

  it("runs enqueued charges and refunds through the pg-boss workers", async () => {
    const stop = await startSagaWorkers(boss, {
      pool: db.pool,
      payments: httpPaymentClient(baseUrl, policy),
      logger,
      deadline: { deadlineMs: 3_600_000, apply: applyOptions() },
      pollingIntervalSeconds: 0.5,
    });
    try {
      const id = await placeOrder();
      const opts = applyOptions();
      await withTransaction(db.pool, (c) =>
        applyEvents(
          c,
          [
            { orderId: id, messageId: uuidv7(), event: { type: "InventoryReserved" } },
            { orderId: id, messageId: uuidv7(), event: { type: "PaymentSuccess" } },
            { orderId: id, messageId: uuidv7(), event: { type: "CancelRequested", reason: "user" } },
          ],
          opts,
        ),
      );
      // InitiatePayment finds the order cancelled and skips; the refund goes out.
      await expect.poll(() => calls.some((c) => c.path === `/payments/${id}/refund`), { timeout: 15_000, interval: 200 }).toBe(true);
      expect(calls.find((c) => c.path === `/payments/${id}/refund`)).toMatchObject({ key: `refund:${id}`, body: { amount: "7.50" } });
    } finally {
      await stop();
    }
  });
});

describe("PENDING deadline", () => {
  it("cancels orders stuck in PENDING past the deadline with reason timeout, once", async () => {
    const old = await placeOrder(new Date(Date.now() - 10 * 60_000));
    const fresh = await placeOrder();
    const options = { deadlineMs: 5 * 60_000, apply: { ...applyOptions() } };
    const first = await sweepPendingDeadline(db.pool, options);
    expect(first.cancelled).toBeGreaterThanOrEqual(1);
    expect(await getOrderDetail(db.pool, old)).toMatchObject({ status: "CANCELLED" });
    expect(await getOrderDetail(db.pool, fresh)).toMatchObject({ status: "PENDING" });
    const { rows } = await db.pool.query("SELECT payload FROM outbox WHERE aggregateid = $1 AND type = 'OrderCancelled'", [old]);
    expect(rows).toMatchObject([{ payload: { reason: "timeout", refund: false } }]);
    expect((await sweepPendingDeadline(db.pool, options)).cancelled).toBe(0);
  });

  it("a late InventoryReserved after the timeout records the hold for release; a late PaymentSuccess refunds", async () => {
    const id = await placeOrder(new Date(Date.now() - 10 * 60_000));
    await sweepPendingDeadline(db.pool, { deadlineMs: 60_000, apply: applyOptions() });
    await withTransaction(db.pool, (c) =>
      applyEvents(
        c,
        [
          { orderId: id, messageId: uuidv7(), event: { type: "InventoryReserved" } },
          { orderId: id, messageId: uuidv7(), event: { type: "PaymentSuccess" } },
        ],
        applyOptions(),
      ),
    );
    expect(await getOrderDetail(db.pool, id)).toMatchObject({
      status: "CANCELLED",
      inventoryStatus: "RESERVED",
      paymentStatus: "SUCCEEDED",
    });
    expect(await jobsFor(QUEUES.refundPayment, id)).toHaveLength(1);
    expect(await jobsFor(QUEUES.initiatePayment, id)).toHaveLength(0);
  });
});
