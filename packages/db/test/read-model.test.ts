import { randomBytes } from "node:crypto";
import { uuidv7 } from "@orders/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, createPool, dropDatabase, type Pool } from "../src/index.ts";
import {
  dumpReadModel,
  listOrderHistory,
  migrateReadModel,
  orderEventsOf,
  orderHistoryHead,
  projectEvents,
  type ReadModelEventRow,
  readModelCounts,
  resetReadModel,
} from "../src/read-model-repository.ts";
import { postgresServerUrl } from "./database.ts";

// The read model lives in a database of its own (issue 15): an empty one, migrated from
// migrations/read-model/ only.
let pool: Pool;
const name = `db_read_model_${randomBytes(4).toString("hex")}`;
beforeAll(async () => {
  const url = await createDatabase(postgresServerUrl(), name);
  expect((await migrateReadModel(url)).applied).toEqual([1]);
  expect((await migrateReadModel(url)).applied).toEqual([]);
  pool = createPool({ connectionString: url, max: 4, applicationName: "test-read-model" });
});
afterAll(async () => {
  await pool?.end();
  await dropDatabase(postgresServerUrl(), name);
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const created = (id: string, userId = "u-1"): ReadModelEventRow => ({
  orderId: id,
  sequence: 1,
  eventId: uuidv7(),
  type: "OrderCreated",
  occurredAt: at(1),
  payload: JSON.stringify({
    orderId: id,
    userId,
    items: [{ productId: "abc", quantity: 2, unitPrice: "10.00" }],
    totalAmount: "20.00",
    currency: "INR",
    shippingAddress: "Bhubaneswar",
    paymentMethod: "card",
    createdAt: at(1),
  }),
});
const changed = (id: string, sequence: number, version: number, status: string, extra: Record<string, string> = {}): ReadModelEventRow => ({
  orderId: id,
  sequence,
  eventId: uuidv7(),
  type: "OrderStatusChanged",
  occurredAt: at(sequence),
  payload: JSON.stringify({
    orderId: id,
    status,
    previousStatus: "PENDING",
    inventoryStatus: "RESERVED",
    paymentStatus: "PENDING",
    deliveryStatus: "NOT_STARTED",
    version,
    ...extra,
  }),
});
const other = (id: string, sequence: number, type: string): ReadModelEventRow => ({
  orderId: id,
  sequence,
  eventId: uuidv7(),
  type,
  occurredAt: at(sequence),
  payload: "{}",
});

describe("order-history read model", () => {
  it("folds OrderCreated and the last OrderStatusChanged, idempotently by (order, sequence)", async () => {
    const id = uuidv7();
    const events = [
      created(id),
      changed(id, 2, 2, "PENDING"),
      other(id, 3, "OrderConfirmed"),
      changed(id, 4, 3, "CONFIRMED", { paymentStatus: "SUCCEEDED" }),
      other(id, 5, "SomethingNew"),
    ];
    expect(await projectEvents(pool, events)).toEqual({ inserted: 5, orders: 1 });
    // The same records again (a redelivery or a replay): nothing changes.
    expect(await projectEvents(pool, events)).toEqual({ inserted: 0, orders: 0 });
    const page = await listOrderHistory(pool, { userId: "u-1", limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      id,
      status: "CONFIRMED",
      paymentStatus: "SUCCEEDED",
      inventoryStatus: "RESERVED",
      totalAmount: "20.00",
      itemCount: 1,
      version: 3,
    });
    expect(await orderHistoryHead(pool, id)).toEqual({ userId: "u-1", version: 3 });
    expect((await orderEventsOf(pool, id)).map((e) => e.type)).toEqual([
      "OrderCreated",
      "OrderStatusChanged",
      "OrderConfirmed",
      "OrderStatusChanged",
      "SomethingNew",
    ]);
  });

  it("gives the same row whatever the arrival order, and records a gap until it fills", async () => {
    const id = uuidv7();
    await projectEvents(pool, [changed(id, 4, 3, "SHIPPED", { deliveryStatus: "SHIPPED" })]);
    expect(await orderHistoryHead(pool, id)).toBeNull(); // no OrderCreated yet
    await projectEvents(pool, [created(id, "u-2")]);
    expect((await dumpReadModel(pool)).find((r) => r.id === id)).toMatchObject({ status: "SHIPPED", contiguous: 1, lastSequence: 4 });
    expect((await readModelCounts(pool)).ordersWithGaps).toBe(1);
    await projectEvents(pool, [changed(id, 2, 2, "PENDING"), other(id, 3, "OrderConfirmed")]);
    expect((await dumpReadModel(pool)).find((r) => r.id === id)).toMatchObject({ status: "SHIPPED", version: 3, contiguous: 4 });
    expect((await readModelCounts(pool)).ordersWithGaps).toBe(0);
  });

  it("rebuilds to the same model from a reset and the same events", async () => {
    const before = await dumpReadModel(pool);
    const { rows } = await pool.query(
      `SELECT order_id::text AS "orderId", sequence::int AS sequence, event_id::text AS "eventId", type, payload::text AS payload,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt" FROM order_events`,
    );
    await resetReadModel(pool);
    expect(await readModelCounts(pool)).toEqual({ events: 0, orders: 0, ordersWithGaps: 0 });
    await projectEvents(pool, [...rows].reverse() as ReadModelEventRow[]);
    expect(await dumpReadModel(pool)).toEqual(before);
  });
});
