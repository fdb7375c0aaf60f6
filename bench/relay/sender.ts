/**
 * bench/relay/sender (issue 17, "a lean relay"): the relay's Kafka side alone, no database — the
 * relay's record sender (createRecordSender: @platformatic/kafka, idempotent, acks=all) sending
 * batches of the relay's records (outboxRecord of rows shaped like bench/relay's prefill), one
 * sender per batch in flight as the relay runs them. Prints records/s and the CPU per record of
 * this process (record building + the Kafka client + GC) and of the broker: the floor of the
 * relay's Node CPU with this client, whatever the database costs.
 *
 *   node [--max-semi-space-size=4] bench/relay/sender.ts [-- --batch 500 --concurrency 2 --seconds 15]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { uuidv7 } from "@orders/domain";
import { createKafka, createRecordSender, ensureTopics, outboxRecord } from "@orders/kafka";
import { startKafka } from "@orders/local-kafka";
import { loadAverage } from "../lib/cpu.ts";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "500" },
    concurrency: { type: "string", default: "2" },
    seconds: { type: "string", default: "15" },
    partitions: { type: "string", default: "6" },
  },
});
const BATCH = Number(values.batch);
const out = (s: string) => process.stdout.write(`${s}\n`);

function ticks(pid: number | "self"): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** A row as the claim returns it, shaped like bench/relay's prefill (20 000 orders, 321 B values). */
function row(g: number) {
  const agg = `00000000-0000-7000-8000-${(g % 20_000).toString(16).padStart(12, "0")}`;
  return {
    id: uuidv7(),
    aggregateId: agg,
    type: g % 3 === 0 ? "OrderCreated" : "OrderConfirmed",
    payload: JSON.stringify({
      orderId: agg,
      userId: `user-${g % 997}`,
      totalAmount: "123.45",
      currency: "EUR",
      items: [{ productId: `sku-${g % 101}`, quantity: 2, unitPrice: "61.72" }],
      pad: "x".repeat(120),
    }),
    specVersion: "1.0",
    source: "/order-service/bench",
    time: new Date().toISOString(),
    ceSequence: String(1 + Math.floor(g / 20_000)).padStart(10, "0"),
    contentType: "application/json",
    traceparent: null,
  };
}

const kafka = await startKafka({ partitions: Number(values.partitions) });
try {
  await ensureTopics(createKafka({ brokers: [kafka.bootstrap], clientId: "bench", logLevel: "nothing" }), [
    { topic: "bench-sender", partitions: Number(values.partitions) },
  ]);
  const senders = Array.from({ length: Number(values.concurrency) }, (_, i) =>
    createRecordSender({ brokers: [kafka.bootstrap], clientId: `bench-sender-${i}` }),
  );
  await Promise.all(senders.map((s) => s.connect("bench-sender")));
  let next = 0;
  let sent = 0;
  // Each batch is built from rows when it is sent, as the relay builds it from the claimed rows.
  const loop = async (sender: (typeof senders)[number], until: number) => {
    while (performance.now() < until) {
      const rows = Array.from({ length: BATCH }, () => row(next++));
      await sender.send("bench-sender", rows.map(outboxRecord));
      sent += BATCH;
    }
  };
  await Promise.all(senders.map((s) => loop(s, performance.now() + 3_000))); // warm-up
  const broker = kafka.pid as number;
  const [self0, broker0, sent0, load0] = [ticks("self"), ticks(broker), sent, loadAverage()];
  const started = performance.now();
  await Promise.all(senders.map((s) => loop(s, started + Number(values.seconds) * 1_000)));
  const seconds = (performance.now() - started) / 1000;
  const records = sent - sent0;
  const us = (t: number) => ((t * 10_000) / records).toFixed(1);
  out(
    `record sender alone, batch ${BATCH}, ${values.concurrency} in flight (${process.execArgv.join(" ") || "default V8 flags"}): ${records} records in ${seconds.toFixed(1)} s = ${Math.round(records / seconds)} records/s; CPU per record: this process ${us(ticks("self") - self0)} µs (row objects, records, client, GC), broker ${us(ticks(broker) - broker0)} µs (load ${load0} → ${loadAverage()})`,
  );
  await Promise.all(senders.map((s) => s.close()));
} finally {
  await kafka.stop();
}
