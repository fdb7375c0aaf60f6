import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { getOrderDetail } from "@orders/db";
import { freshDatabase, kafkaBrokers, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hs256Token, loadStackEnv, type OtlpReceiver, type ReceivedSpan, type Stack, startOtlpReceiver, startStack } from "../src/index.ts";

/*
 * One order, one trace (issue 16). Every process of the stack (api, relay, consumer and the
 * simulators) runs with the standard OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP
 * receiver inside this test — what a collector would get — and the test follows the parent
 * links from the request's own span to the delivery.
 */
let db: TestDatabase;
let stack: Stack;
let receiver: OtlpReceiver;
const outboxMode = loadStackEnv().OUTBOX_MODE;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // Every child process inherits this file's environment (ManagedProcess): all export here.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  db = await freshDatabase("e2e_trace");
  stack = await startStack({
    databaseUrl: db.url,
    kafkaBrokers: kafkaBrokers(),
    namespace: `-${randomUUID().slice(0, 8)}`,
    partitions: 2,
    consumers: 1,
    outboxMode,
    shipDelayMs: [50, 100],
  });
}, 240_000);
afterAll(async () => {
  const unclean = await stack?.stop();
  await db?.drop();
  await receiver?.close();
  expect(unclean).toEqual([]);
});
beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    if (stack) console.error(await stack.diagnostics());
  });
});

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

describe("one trace from POST /api/orders to the delivery", () => {
  it("links every hop: request → outbox → relay send → inventory answer → PaymentInitiator job → payment answer → OrderConfirmed → delivery", async () => {
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const userId = "trace-user";
    const res = await fetch(`${stack.apiUrl}/api/orders`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${hs256Token(stack.jwtSecret, userId)}`,
        "content-type": "application/json",
        "idempotency-key": randomUUID(),
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({ userId, items: [{ productId: "abc", quantity: 1 }], shippingAddress: "Bhubaneswar", paymentMethod: "card" }),
    });
    expect(res.status).toBe(201);
    const orderId = ((await res.json()) as { id: string }).id;
    await expect
      .poll(async () => (await getOrderDetail(stack.pool, orderId))?.status, { timeout: 120_000, interval: 250 })
      .toBe("DELIVERED");

    // Each process exports in batches (a few seconds apart): wait until every one has sent its
    // part of the trace, the last hop (the consumer applying OrderDelivered) included.
    const trace = () => receiver.spans().filter((s) => s.traceId === traceId);
    const consumed = (type: string) =>
      trace().find((s) => s.service === "consumer" && s.kind === CONSUMER && s.attributes["order_service.event_type"] === type);
    const services = [
      "api",
      ...(outboxMode === "relay" ? ["relay"] : []),
      "inventory-simulator",
      "consumer",
      "payment-simulator",
      "delivery-simulator",
    ];
    await expect
      .poll(() => services.filter((name) => !trace().some((s) => s.service === name)), { timeout: 60_000, interval: 250 })
      .toEqual([]);
    await expect.poll(() => Boolean(consumed("OrderDelivered")), { timeout: 60_000, interval: 250 }).toBe(true);

    const spans = trace();
    const dump = () => spans.map((s) => `${s.service} ${s.name} ${s.spanId} ← ${s.parentSpanId}`).join("\n");
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan | undefined) => (s?.parentSpanId ? byId.get(s.parentSpanId) : undefined);
    const describeSpan = (s: ReceivedSpan | undefined) => (s ? `${s.service}: ${s.name}` : "none");
    const expectParent = (child: ReceivedSpan | undefined, parent: ReceivedSpan | undefined) => {
      expect(child, `span missing in\n${dump()}`).toBeDefined();
      expect(parent, `parent of ${describeSpan(child)} missing`).toBeDefined();
      expect(describeSpan(parentOf(child))).toBe(describeSpan(parent));
      expect(child?.parentSpanId).toBe(parent?.spanId);
    };

    // 1. The API's server span continues the caller's trace.
    const request = spans.find((s) => s.service === "api" && s.kind === SERVER && s.attributes["http.route"] === "/api/orders");
    expect(request?.parentSpanId).toBe(callerSpanId);
    // The request's database work (pg instrumentation) and its inventory check are its children.
    const children = spans.filter((s) => s.service === "api" && s.kind === CLIENT && s.parentSpanId === request?.spanId).map((s) => s.name);
    expect(children).toContainEqual(expect.stringMatching(/^pg\.query:orders\.insert/));
    expect(children).toContain("inventory check-and-quote");

    // 2. The outbox row carried the request's context: the relay's send span is its child
    // (Debezium publishes the row's traceparent as it is: the next hop links to the request).
    const send = (type: string) =>
      spans.find((s) => s.service === "relay" && s.kind === PRODUCER && s.attributes["order_service.event_type"] === type);
    const created = outboxMode === "relay" ? send("OrderCreated") : request;
    if (outboxMode === "relay") expectParent(created, request);

    // 3. The inventory simulator consumed OrderCreated under the send; its answer continues from there.
    const inventorySim = spans.find(
      (s) => s.service === "inventory-simulator" && s.kind === CONSUMER && s.parentSpanId === created?.spanId,
    );
    expectParent(inventorySim, created);
    const reserved = consumed("InventoryReserved");
    expectParent(reserved, inventorySim);

    // 4. The PaymentInitiator's job continues the trace of the record that queued it, and its
    // HTTP call to the payment service is its child.
    const job = spans.find((s) => s.service === "consumer" && s.name === "process payment-initiate");
    expectParent(job, reserved);
    const call = spans.find(
      (s) => s.service === "consumer" && s.kind === CLIENT && s.name.startsWith("POST") && s.parentSpanId === job?.spanId,
    );
    expectParent(call, job);
    const paymentSim = spans.find((s) => s.service === "payment-simulator" && s.kind === SERVER && s.parentSpanId === call?.spanId);
    expectParent(paymentSim, call);

    // 5. The payment answer → OrderConfirmed (written under the consumer's span) → sent → delivery.
    const paid = consumed("PaymentSuccess");
    expectParent(paid, paymentSim);
    const confirmed = outboxMode === "relay" ? send("OrderConfirmed") : paid;
    if (outboxMode === "relay") expectParent(confirmed, paid);
    const deliverySim = spans.find(
      (s) => s.service === "delivery-simulator" && s.kind === CONSUMER && s.parentSpanId === confirmed?.spanId,
    );
    expectParent(deliverySim, confirmed);
    expectParent(consumed("OrderShipped"), deliverySim);
    expectParent(consumed("OrderDelivered"), deliverySim);

    // 6. The logs carry the same trace: the API's request line names the trace and its span.
    const apiLog = await readFile(stack.processes.get("api")?.logFile ?? "", "utf8");
    const requestLine = apiLog
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "request" && l.trace_id === traceId);
    expect(requestLine).toMatchObject({
      level: "info",
      service: "api",
      method: "POST",
      route: "/api/orders",
      status: 201,
      span_id: request?.spanId,
    });
  });
});
