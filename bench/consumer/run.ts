/**
 * bench/consumer (`npm run bench:consumer [-- --events 100000]`): pre-fills `inventory` and
 * `payments` with results for existing orders (10 % duplicates), then runs the real consumer
 * process (1, then 2 instances, each on a fresh database and topics) and measures applied
 * events/s, verifies exactly-once effects afterwards, and records the consumer's peak RSS and the
 * CPU per applied event of the consumer, PostgreSQL and the broker (from /proc, consumers started
 * to done). `--profile` loads pg_stat_statements into the throw-away server and prints the
 * consumer database's statements by total time, with calls and time per applied event.
 */
import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createPool, migrate } from "@orders/db";
import { createKafka, ensureTopics, projectTopics } from "@orders/kafka";
import { type LocalKafka, startKafka } from "@orders/local-kafka";
import { type LocalPostgres, startLocalPostgres } from "@orders/local-postgres";
import type { ManagedProcess } from "@orders/stack";
import pg from "pg";
import { loadAverage, postgresCpuMs, processesCpuMs } from "../lib/cpu.ts";
import { benchConsumer, insertOrders, peakRss, prefill } from "./lib.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    partitions: { type: "string", default: "6" },
    instances: { type: "string", default: "1,2" },
    profile: { type: "boolean", default: false },
    top: { type: "string", default: "15" },
    "explain-ms": { type: "string" },
  },
});
const EVENTS = Number(values.events);
const PARTITIONS = Number(values.partitions);
const INSTANCES = values.instances.split(",").map(Number);
const PROFILE = values.profile;
// `--explain-ms N`: auto_explain (ANALYZE, BUFFERS, nested statements) of statements slower than N ms → this file.
const EXPLAIN_LOG = "/tmp/bench-consumer-explain.log";
const explain = values["explain-ms"];
const ORDERS = Math.ceil(EVENTS / 2);
const out = (s: string) => process.stdout.write(`${s}\n`);

interface Statement {
  query: string;
  calls: number;
  total_ms: number;
  rows: number;
  shared_hit: number;
  shared_read: number;
}

/** The bench database's statements (top level and nested: triggers, functions) since the reset. */
async function statements(pool: pg.Pool, top: number): Promise<{ top: Statement[]; total: Statement }> {
  const { rows: total } = await pool.query(
    `SELECT 'all top-level statements' AS query, sum(calls)::float8 AS calls, sum(total_exec_time)::float8 AS total_ms,
            sum(rows)::float8 AS rows, sum(shared_blks_hit)::float8 AS shared_hit, sum(shared_blks_read)::float8 AS shared_read
       FROM pg_stat_statements WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  const { rows } = await pool.query(
    `SELECT query, sum(calls)::float8 AS calls, sum(total_exec_time)::float8 AS total_ms, sum(rows)::float8 AS rows,
            sum(shared_blks_hit)::float8 AS shared_hit, sum(shared_blks_read)::float8 AS shared_read
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY query ORDER BY total_ms DESC LIMIT $1`,
    [top],
  );
  return { top: rows, total: total[0] };
}

async function runOnce(server: LocalPostgres, broker: LocalKafka, instances: number) {
  const serverUrl = server.url;
  const brokers = [...broker.brokers];
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
  await pool.query("VACUUM ANALYZE"); // the pre-fill's inserts are not the consumer's cost
  if (PROFILE) {
    await pool.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    await pool.query("SELECT pg_stat_statements_reset(), pg_stat_reset()");
  }
  const cpu = () => ({
    consumer: processesCpuMs(consumers.map((c) => c.pid)),
    postgres: postgresCpuMs(server.dataDir),
    broker: processesCpuMs([broker.pid]),
  });

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
  const cpuBefore = cpu(); // consumer processes not started yet: 0
  // WAL written per applied event: load-independent, unlike CPU time on shared cores.
  const walLsn = async () => (await pool.query("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0].lsn as string;
  const walBefore = await walLsn();
  await Promise.all(consumers.map((c) => c.start(120_000)));
  for (;;) {
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM processed_messages WHERE consumer = $1", [group]);
    if (rows[0].n >= distinct) break;
    if (performance.now() - t0 > 600_000) throw new Error(`stuck at ${rows[0].n}/${distinct}`);
    await new Promise((r) => setTimeout(r, 1_000)); // the count is PostgreSQL CPU as well: poll seldom
  }
  // The database's own clock: first to last applying transaction (processed_at = its start),
  // so the measure is independent of polling and process start-up.
  const span = await pool.query(
    `SELECT extract(epoch FROM max(processed_at) - min(processed_at))::float8 AS s FROM processed_messages WHERE consumer = $1`,
    [group],
  );
  const seconds = Math.max(0.001, span.rows[0].s);
  await new Promise((r) => setTimeout(r, 2_000)); // duplicates at the tail are skipped by now
  const cpuAfter = cpu();
  const walBytes = Number((await pool.query("SELECT pg_wal_lsn_diff($1, $2)::float8 AS b", [await walLsn(), walBefore])).rows[0].b);
  const load = loadAverage();
  const rss = await Promise.all(consumers.map((c) => peakRss(c.pid)));
  const top = PROFILE ? await statements(pool, Number(values.top)) : { top: [], total: null };
  const tables = PROFILE
    ? (
        await pool.query(
          `SELECT relname AS table, seq_scan, seq_tup_read, idx_scan, n_tup_ins, n_tup_upd, n_tup_hot_upd
             FROM pg_stat_user_tables WHERE schemaname = 'public' AND (seq_scan > 0 OR n_tup_upd > 0) ORDER BY seq_tup_read DESC`,
        )
      ).rows
    : [];
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
    // Start-up and the 2 s tail included: a bias of the same size before and after a change.
    cpuUs: {
      consumer: ((cpuAfter.consumer - cpuBefore.consumer) * 1000) / distinct,
      postgres: ((cpuAfter.postgres - cpuBefore.postgres) * 1000) / distinct,
      broker: ((cpuAfter.broker - cpuBefore.broker) * 1000) / distinct,
    },
    walBytesPerEvent: walBytes / distinct,
    load,
    top,
    tables,
    exactlyOnce,
    verify: v,
  };
}

out(`bench/consumer: ${EVENTS} distinct results (+10 % duplicates) for ${ORDERS} orders, ${PARTITIONS} partitions per topic`);
const [server, broker] = await Promise.all([
  startLocalPostgres({
    settings: {
      ...(PROFILE || explain
        ? { shared_preload_libraries: [PROFILE && "pg_stat_statements", explain && "auto_explain"].filter(Boolean).join(",") }
        : {}),
      ...(PROFILE ? { "pg_stat_statements.track": "all", "pg_stat_statements.max": 1000 } : {}),
      ...(explain
        ? {
            "auto_explain.log_min_duration": explain,
            "auto_explain.log_analyze": "on",
            "auto_explain.log_buffers": "on",
            "auto_explain.log_nested_statements": "on",
          }
        : {}),
    },
    ...(explain ? { log: (line: string) => appendFileSync(EXPLAIN_LOG, line) } : {}),
  }),
  startKafka({ partitions: PARTITIONS }),
]);
let failed = false;
try {
  for (const instances of INSTANCES) {
    const r = await runOnce(server, broker, instances);
    const { consumer, postgres, broker: kafka } = r.cpuUs;
    out(
      `  ${instances} instance(s): ${r.distinct} applied in ${r.seconds.toFixed(1)} s → ${r.perSecond.toFixed(0)} applied events/s ` +
        `(${r.recordsPerSecond.toFixed(0)} records/s incl. duplicates); CPU µs/applied event: consumer ${consumer.toFixed(0)} + ` +
        `postgres ${postgres.toFixed(0)} + broker ${kafka.toFixed(0)} = ${(consumer + postgres + kafka).toFixed(0)}; ` +
        `WAL ${r.walBytesPerEvent.toFixed(0)} B/applied event; peak RSS ${r.rssMb.map((m) => `${m.toFixed(0)} MB`).join(" + ")}; load ${r.load}; ` +
        `exactly-once ${r.exactlyOnce ? "verified" : "FAILED"} ${JSON.stringify(r.verify)}`,
    );
    if (PROFILE) {
      out("    pg_stat_statements, by total time (per applied event: calls, µs; rows/call; buffers hit+read/call):");
      for (const s of [...r.top.top, ...(r.top.total ? [r.top.total] : [])])
        out(
          `    ${((s.total_ms * 1000) / r.distinct).toFixed(1).padStart(6)} µs  ${(s.calls / r.distinct).toFixed(3).padStart(6)} calls  ` +
            `${(s.rows / Math.max(1, s.calls)).toFixed(0).padStart(5)} rows/call  ${((s.shared_hit + s.shared_read) / Math.max(1, s.calls)).toFixed(0).padStart(6)} bufs/call  ` +
            `${s.query.replace(/\s+/g, " ").slice(0, 160)}`,
        );
      out("    tables (since the consumers started):");
      for (const t of r.tables) out(`    ${JSON.stringify(t)}`);
    }
    if (!r.exactlyOnce) failed = true;
  }
} finally {
  await broker.stop();
  await server.stop();
}
process.exit(failed ? 1 : 0);
