import { createPool, type Pool } from "@orders/db";
import { type ChunkContext, type ConsumedRecord, type DeadLetter, type OutgoingRecord, orderResultRecord } from "@orders/kafka";
import { createLogger, createMetricsRegistry } from "@orders/runtime";
import { freshDatabase, placeOrders, type TestDatabase } from "@orders/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyOptions } from "../src/apply-events.ts";
import { lifecycleChunkHandler } from "../src/consumer/chunk-handler.ts";
import { consumerMetrics } from "../src/consumer/metrics.ts";

/**
 * The record handler alone against a real PostgreSQL (no broker): transient failures are waited
 * out (the partition pauses), only a record's own fault is dead-lettered.
 */
let db: TestDatabase;
/** A pool whose statements give up after 300 ms, as a consumer's would under a held row lock. */
let impatient: Pool;
const logger = createLogger({ service: "handler-test", level: "silent" });

beforeAll(async () => {
  db = await freshDatabase("handler");
  impatient = createPool({ connectionString: db.url, max: 4, applicationName: "handler-test", statementTimeoutMs: 300 });
});
afterAll(async () => {
  await impatient?.end();
  await db?.drop();
});

const apply: ApplyOptions = {
  consumer: "handler-test",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 3 },
  jobs: { insert: async () => null },
};

const result = (type: string, id: string, orderId: string, data: Record<string, unknown> = {}): OutgoingRecord =>
  orderResultRecord("/test", type, id, orderId, data);

let offset = 0;
const consumed = (r: OutgoingRecord): ConsumedRecord => ({
  topic: "inventory",
  partition: 0,
  offset: String(offset++),
  key: Buffer.from(r.key),
  value: typeof r.value === "string" ? Buffer.from(r.value) : r.value,
  headers: { ...r.headers },
});

function harness(overrides: { deadLetter?: (letters: readonly DeadLetter[]) => Promise<void> } = {}) {
  const letters: DeadLetter[] = [];
  const metrics = consumerMetrics(createMetricsRegistry("handler_test"));
  const handle = lifecycleChunkHandler({
    pool: impatient,
    apply,
    deadLetter:
      overrides.deadLetter ??
      (async (l) => {
        letters.push(...l);
      }),
    logger,
    metrics,
    retryDelayMs: 50,
    maxRetryDelayMs: 400,
  });
  let running = true;
  let heartbeats = 0;
  const context: ChunkContext = {
    heartbeat: async () => {
      heartbeats++;
    },
    isRunning: () => running,
    isStale: () => false,
  };
  return {
    letters,
    metrics,
    context,
    handle: (records: readonly ConsumedRecord[]) => handle(records, context),
    stop: () => {
      running = false;
    },
    heartbeats: () => heartbeats,
  };
}

/** Another session holding FOR UPDATE on the orders' rows, as a paused consumer mid-transaction would. */
async function lockOrders(ids: readonly string[]): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url });
  client.on("error", () => {});
  await client.connect();
  await client.query("BEGIN");
  await client.query("SELECT id FROM orders WHERE id = ANY($1::uuid[]) FOR UPDATE", [ids]);
  return {
    async release() {
      await client.query("COMMIT");
      await client.end();
    },
  };
}

const inventoryStatus = async (id: string) =>
  (await db.pool.query("SELECT inventory_status FROM orders WHERE id = $1", [id])).rows[0]?.inventory_status as string;
const timelineRows = async (causedBy: string) =>
  (await db.pool.query("SELECT count(*)::int AS n FROM order_status_history WHERE caused_by = $1", [causedBy])).rows[0].n as number;
const retries = async (metrics: ReturnType<typeof consumerMetrics>) =>
  (await metrics.retries.get()).values.reduce((sum, v) => sum + v.value, 0);

describe("lifecycle record handler: transient is never poison", () => {
  it("waits out another session's row lock (statement timeout, 57014) and applies the record exactly once, dead-lettering nothing", async () => {
    const [locked, free] = await placeOrders(db.pool, 2);
    const h = harness();
    const lock = await lockOrders([locked as string]);
    let settled = false;
    let handled: Promise<void>;
    try {
      handled = h.handle([
        consumed(result("InventoryReserved", `inv-locked-${locked}`, locked as string)),
        consumed(result("InventoryReserved", `inv-free-${free}`, free as string)),
      ]);
      void handled.then(
        () => (settled = true),
        () => (settled = true),
      );
      // Well past any bounded number of 300 ms attempts: the handler must still be waiting.
      await new Promise((r) => setTimeout(r, 4_000));
      expect(settled).toBe(false);
      expect(h.letters).toEqual([]);
    } finally {
      await lock.release();
    }
    await handled;

    expect(h.letters).toEqual([]);
    expect(await inventoryStatus(locked as string)).toBe("RESERVED");
    expect(await inventoryStatus(free as string)).toBe("RESERVED");
    expect(await timelineRows(`inv-locked-${locked}`)).toBe(1);
    expect(await timelineRows(`inv-free-${free}`)).toBe(1);
    expect(h.heartbeats()).toBeGreaterThan(0);
    expect(await retries(h.metrics)).toBeGreaterThan(0);
  });

  it("stops waiting when the consumer stops: nothing applied, nothing dead-lettered, the chunk comes again", async () => {
    const [locked] = await placeOrders(db.pool, 1);
    const h = harness();
    const lock = await lockOrders([locked as string]);
    try {
      const handled = h.handle([consumed(result("InventoryReserved", `inv-stop-${locked}`, locked as string))]);
      await new Promise((r) => setTimeout(r, 1_000));
      h.stop();
      await expect(handled).rejects.toMatchObject({ name: "ChunkAbandonedError" });
    } finally {
      await lock.release();
    }
    expect(h.letters).toEqual([]);
    expect(await inventoryStatus(locked as string)).toBe("PENDING");
  });

  it("still dead-letters a record's own fault (schema, constraint) with its reason while the rest of the chunk — a locked order included — goes through", async () => {
    const [locked, poisoned, free] = await placeOrders(db.pool, 3);
    // A constraint this one record violates for good (23514), whatever happens to the others.
    await db.pool.query(
      "ALTER TABLE order_status_history ADD CONSTRAINT handler_test_refused CHECK (caused_by <> 'refused-for-good') NOT VALID",
    );
    const h = harness();
    const lock = await lockOrders([locked as string]);
    let handled: Promise<void>;
    try {
      handled = h.handle([
        consumed(result("InventoryReserved", `inv-a-${locked}`, locked as string)),
        consumed(result("InventoryReserved", "refused-for-good", poisoned as string)),
        consumed(result("PaymentSuccess", `no-amount-${free}`, free as string, { paymentId: "p" })),
        consumed(result("InventoryReserved", `inv-c-${free}`, free as string)),
      ]);
      handled.catch(() => {});
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await lock.release();
    }
    await handled;

    expect(h.letters.map((l) => [l.offset, l.reason])).toEqual(
      expect.arrayContaining([
        [expect.any(String), "APPLY_FAILED"],
        [expect.any(String), "SCHEMA_INVALID"],
      ]),
    );
    expect(h.letters).toHaveLength(2);
    const refused = h.letters.find((l) => l.reason === "APPLY_FAILED");
    expect(refused?.headers.ce_id).toBe("refused-for-good");
    expect(refused?.detail).toMatch(/23514|handler_test_refused/);
    expect(await inventoryStatus(locked as string)).toBe("RESERVED");
    expect(await inventoryStatus(poisoned as string)).toBe("PENDING");
    expect(await inventoryStatus(free as string)).toBe("RESERVED");
    expect(await timelineRows(`inv-a-${locked}`)).toBe(1);
    await db.pool.query("ALTER TABLE order_status_history DROP CONSTRAINT handler_test_refused");
  });

  it("waits out a dead-letter topic outage (the producer cannot reach Kafka) instead of giving up the chunk", async () => {
    const [id] = await placeOrders(db.pool, 1);
    const stored: DeadLetter[] = [];
    let failures = 0;
    const h = harness({
      deadLetter: async (l) => {
        if (failures < 3) {
          failures++;
          throw Object.assign(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092"), {
            name: "KafkaJSConnectionError",
            retriable: true,
          });
        }
        stored.push(...l);
      },
    });
    await h.handle([
      consumed({ key: "x", value: "{not json", headers: { ce_type: "InventoryReserved", ce_id: "bad-json" } }),
      consumed(result("InventoryReserved", `inv-dlq-${id}`, id as string)),
    ]);
    expect(failures).toBe(3);
    expect(stored.map((l) => l.reason)).toEqual(["UNPARSEABLE"]);
    expect(await inventoryStatus(id as string)).toBe("RESERVED");
    expect(await timelineRows(`inv-dlq-${id}`)).toBe(1);
  });
});
