/**
 * bench/kafka-clients (`node bench/kafka-clients/run.ts [--records N]`): the relay's producer
 * path on both Kafka clients of @orders/kafka — kafkajs (`createIdempotentProducer` +
 * `sendRecords`) and @platformatic/kafka (`createRecordSender`) — against one throw-away
 * broker, sequential sends of 500 outbox-shaped records (key, ~300 B JSON value, 7 CloudEvents
 * headers), idempotent, acks=all. Prints records/s and CPU µs per record of this process.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createIdempotentProducer, createKafka, createRecordSender, ensureTopics, type OutgoingRecord, sendRecords } from "@orders/kafka";
import { startKafka } from "@orders/local-kafka";

const { values } = parseArgs({ options: { records: { type: "string", default: "100000" } } });
const N = Number(values.records);
const BATCH = 500;
const out = (s: string) => process.stdout.write(`${s}\n`);

const broker = process.env.KAFKA_BROKERS ? undefined : await startKafka({ partitions: 6 });
const brokers = process.env.KAFKA_BROKERS?.split(",") ?? (broker?.brokers as string[]);
try {
  const kafka = createKafka({ brokers, clientId: "bench-clients", logLevel: "nothing" });
  const suffix = randomUUID().slice(0, 8);
  await ensureTopics(kafka, [
    { topic: `clients-kafkajs-${suffix}`, partitions: 6 },
    { topic: `clients-platformatic-${suffix}`, partitions: 6 },
  ]);
  const pad = "x".repeat(200);
  const records: OutgoingRecord[] = Array.from({ length: N }, (_, i) => {
    const key = randomUUID();
    return {
      key,
      value: JSON.stringify({ orderId: key, totalAmount: "123.45", currency: "EUR", i, pad }),
      headers: {
        ce_id: randomUUID(),
        ce_type: "OrderCreated",
        ce_source: "/order-service/api",
        ce_time: new Date().toISOString(),
        ce_subject: key,
        ce_specversion: "1.0",
        "content-type": "application/json",
      },
    };
  });
  const measure = async (name: string, send: (batch: OutgoingRecord[]) => Promise<unknown>) => {
    for (let i = 0; i < 5; i++) await send(records.slice(i * BATCH, (i + 1) * BATCH)); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) await send(records.slice(i, i + BATCH));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    out(
      `${name.padEnd(20)} ${Math.round(N / seconds)
        .toString()
        .padStart(7)} records/s   CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs/record`,
    );
  };
  out(`${N} records, sends of ${BATCH}, idempotent, acks=all, 6 partitions`);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  await measure("kafkajs 2.2.4", (b) => sendRecords(producer, `clients-kafkajs-${suffix}`, b));
  await producer.disconnect();
  const sender = createRecordSender({ brokers, clientId: "bench-clients" });
  await measure("@platformatic/kafka", (b) => sender.send(`clients-platformatic-${suffix}`, b));
  await sender.close();
} finally {
  await broker?.stop();
}
