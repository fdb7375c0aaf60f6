/**
 * bench/consumer (`npm run bench:consumer [-- --events 100000]`): pre-fills `inventory` and
 * `payments` with results for existing orders (10 % duplicates), then runs the real consumer
 * process (1, then 2 instances, each on a fresh database and topics) and measures applied
 * events/s, verifies exactly-once effects afterwards, and records the consumer's peak RSS.
 */
import { parseArgs } from "node:util";
import { createPool, migrate } from "@orders/db";
import { createKafka, ensureTopics, projectTopics } from "@orders/kafka";
import { startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";
import type { ManagedProcess } from "@orders/stack";
import pg from "pg";
import { benchConsumer, insertOrders, peakRss, prefill } from "./lib.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "100000" }, partitions: { type: "string", default: "6" } } });
const EVENTS = Number(values.events);
const PARTITIONS = Number(values.partitions);
const ORDERS = Math.ceil(EVENTS / 2);
const out = (s: string) => process.stdout.write(`${s}\n`);

async function runOnce(serverUrl: string, brokers: string[], instances: number) {
  const dbName = `bench_consumer_${instances}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  await migrate(databaseUrl);
  const pool = createPool({ connectionString: databaseUrl, max: 4 });
  const ns = `-b${instances}-${Date.now()}`;
  const topics = { orders: `orders${ns}`, inventory: `inventory${ns}`, payments: `payments${ns}`, deliveries: `deliveries${ns}` };
  const kafka = createKafka({ brokers, clientId: "bench" });
  await ensureTopics(kafka, projectTopics(topics, PARTITIONS));
  out(`  ${instances} instance(s): inserting ${ORDERS} orders, pre-filling topics …`);
  const ids = await insertOrders(pool, ORDERS);
  const { records, distinct } = await prefill(kafka, topics, ids);

  const group = `bench-consumer${ns}`;
  const consumers: ManagedProcess[] = [];
  for (let i = 0; i < instances; i++) {
    consumers.push(
      benchConsumer({
        name: `consumer${ns}-${i}`,
        databaseUrl,
        brokers,
        topics,
        group,
        partitionsConcurrently: Math.ceil(PARTITIONS / instances),
      }),
    );
  }
  const t0 = performance.now();
  await Promise.all(consumers.map((c) => c.start(120_000)));
  for (;;) {
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM processed_messages WHERE consumer = $1", [group]);
    if (rows[0].n >= distinct) break;
    if (performance.now() - t0 > 600_000) throw new Error(`stuck at ${rows[0].n}/${distinct}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The database's own clock: first to last applying transaction (processed_at = its start),
  // so the measure is independent of polling and process start-up.
  const span = await pool.query(
    `SELECT extract(epoch FROM max(processed_at) - min(processed_at))::float8 AS s FROM processed_messages WHERE consumer = $1`,
    [group],
  );
  const seconds = Math.max(0.001, span.rows[0].s);
  await new Promise((r) => setTimeout(r, 2_000)); // duplicates at the tail are skipped by now
  const rss = await Promise.all(consumers.map((c) => peakRss(c.pid)));
  for (const c of consumers) {
    await c.stop("SIGTERM");
    c.close();
  }
  const { rows } = await pool.query(
    `SELECT (SELECT count(*)::int FROM processed_messages WHERE consumer = $1) AS processed,
            (SELECT count(*)::int FROM orders WHERE status = 'CONFIRMED' AND version = 3) AS confirmed_v3,
            (SELECT count(*)::int FROM outbox WHERE type = 'OrderConfirmed') AS confirmed_events,
            (SELECT count(*)::int FROM (SELECT aggregateid FROM outbox WHERE type = 'OrderConfirmed' GROUP BY 1 HAVING count(*) > 1) d) AS doubled,
            (SELECT count(*)::int FROM pgboss.job WHERE name = 'payment-initiate') AS jobs,
            (SELECT count(*)::int FROM order_status_history WHERE reason = 'inventory reserved; payment initiated') AS initiated`,
    [group],
  );
  const v = rows[0];
  const exactlyOnce =
    v.processed === distinct && v.confirmed_v3 === ORDERS && v.confirmed_events === ORDERS && v.doubled === 0 && v.jobs === v.initiated;
  await pool.end();
  return {
    instances,
    records,
    distinct,
    seconds,
    perSecond: distinct / seconds,
    recordsPerSecond: records / seconds,
    rssMb: rss,
    exactlyOnce,
    verify: v,
  };
}

out(`bench/consumer: ${EVENTS} distinct results (+10 % duplicates) for ${ORDERS} orders, ${PARTITIONS} partitions per topic`);
const [server, broker] = await Promise.all([startLocalPostgres(), startKafka({ partitions: PARTITIONS })]);
let failed = false;
try {
  for (const instances of [1, 2]) {
    const r = await runOnce(server.url, broker.brokers, instances);
    out(
      `  ${instances} instance(s): ${r.distinct} applied in ${r.seconds.toFixed(1)} s → ${r.perSecond.toFixed(0)} applied events/s ` +
        `(${r.recordsPerSecond.toFixed(0)} records/s incl. duplicates); peak RSS ${r.rssMb.map((m) => `${m.toFixed(0)} MB`).join(" + ")}; ` +
        `exactly-once ${r.exactlyOnce ? "verified" : "FAILED"} ${JSON.stringify(r.verify)}`,
    );
    if (!r.exactlyOnce) failed = true;
  }
} finally {
  await broker.stop();
  await server.stop();
}
process.exit(failed ? 1 : 0);
