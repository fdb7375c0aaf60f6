import { withTransaction } from "@orders/db";
import { type LifecycleEvent, parseMoney, uuidv7 } from "@orders/domain";
import { inSpan } from "@orders/runtime";
import { placeOrder as place, recordingJobQueue, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import { type ApplyOptions, applyEvents, type IncomingEvent } from "../src/index.ts";

// Issue 16: what the one writer writes carries the trace of what caused it.
const db = useFreshDatabase("trace_context");
const { jobs, queue } = recordingJobQueue();
const options: ApplyOptions = {
  consumer: "trace-test",
  source: "/order-service/consumer",
  decision: { maxPaymentAttempts: 2 },
  jobs: queue,
};
const placeOrder = () => place(db.pool, { items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("10.00") }] });
const apply = (events: IncomingEvent[]) => withTransaction(db.pool, (c) => applyEvents(c, events, options));
const ev = (orderId: string, event: LifecycleEvent, traceparent?: string): IncomingEvent => ({
  orderId,
  event,
  messageId: uuidv7(),
  ...(traceparent ? { traceparent } : {}),
});
const traceparents = async (orderId: string, type: string) =>
  (await db.pool.query("SELECT traceparent FROM outbox WHERE aggregateid = $1 AND type = $2", [orderId, type])).rows.map(
    (r) => r.traceparent,
  );

const JOB_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const RECORD_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("trace context through the one writer", () => {
  it("gives an event without a trace of its own the active span's: a job's outbox rows and follow-up jobs continue the job's trace", async () => {
    const id = await placeOrder();
    jobs.length = 0;
    // A saga job's finding, applied inside the job's span (what inJobSpan does).
    await inSpan("payment-initiate process", { parent: { traceparent: JOB_TRACE } }, () => apply([ev(id, { type: "InventoryReserved" })]));
    expect(jobs).toEqual([
      {
        queue: "payment-initiate",
        data: expect.objectContaining({ orderId: id, traceparent: expect.stringContaining("4bf92f3577b34da6a3ce929d0e0e4736") }),
      },
    ]);
    await inSpan("job", { parent: { traceparent: JOB_TRACE } }, () => apply([ev(id, { type: "PaymentSuccess" })]));
    expect(await traceparents(id, "OrderConfirmed")).toEqual([
      expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
    ]);
  });

  it("keeps an event's own trace over the active one, and writes none when there is neither", async () => {
    const traced = await placeOrder();
    await inSpan("other", { parent: { traceparent: JOB_TRACE } }, () =>
      apply([ev(traced, { type: "InventoryReserved" }, RECORD_TRACE), ev(traced, { type: "PaymentSuccess" }, RECORD_TRACE)]),
    );
    expect(await traceparents(traced, "OrderConfirmed")).toEqual([RECORD_TRACE]);
    const untraced = await placeOrder();
    await apply([ev(untraced, { type: "InventoryReserved" }), ev(untraced, { type: "PaymentSuccess" })]);
    expect(await traceparents(untraced, "OrderConfirmed")).toEqual([null]);
  });
});
