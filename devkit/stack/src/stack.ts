import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, createPool, dropDatabase, migrate, type Pool } from "@orders/db";
import { migrateReadModel } from "@orders/db/read-model";
import { createKafka, ensureTopics, type Kafka, projectTopics, type TopicNames } from "@orders/kafka";
import type { OutboxMode } from "./config.ts";
import { ManagedProcess, type ServiceSpec } from "./processes.ts";

export interface StackOptions {
  /** External PostgreSQL / Kafka; without them throw-away local servers are started. */
  readonly databaseUrl?: string;
  readonly kafkaBrokers?: readonly string[];
  /** Suffix for topic and group names, so several stacks can share one broker. */
  readonly namespace?: string;
  readonly partitions?: number;
  readonly consumers?: number;
  /** How many api and relay processes (default 1 each); more than one are named api-1, api-2 … */
  readonly apis?: number;
  readonly relays?: number;
  /** Extra environment per app (tighter timeouts for a fault run, say). */
  readonly appEnv?: {
    readonly api?: Record<string, string>;
    readonly relay?: Record<string, string>;
    readonly consumer?: Record<string, string>;
  };
  /** Who publishes the outbox: the relay process (default) or Kafka Connect + Debezium (a child JVM). */
  readonly outboxMode?: OutboxMode;
  readonly jwtSecret?: string;
  readonly chaos?: { readonly duplicateRate: number; readonly reorderWindowMs: number } | null;
  readonly inventoryFailureRate?: number;
  readonly inventorySilenceRate?: number;
  readonly paymentFailureRate?: number;
  readonly paymentRetryableShare?: number;
  readonly maxPaymentAttempts?: number;
  /**
   * Issue 14: how long a declined order waits for the customer's retry (default 3 s, so a decline
   * still settles as a payment-failed cancellation within a run; 0 = cancel at once).
   */
  readonly paymentActionWindowMs?: number;
  readonly pendingDeadlineMs?: number;
  readonly deadlineCron?: string;
  /** Simulator answer delays (ms). */
  readonly answerDelayMs?: readonly [number, number];
  readonly shipDelayMs?: readonly [number, number];
  /** The order-history read model + projector (issue 15; default on): a second database on the same server. */
  readonly readModel?: boolean;
  readonly logDir?: string;
  readonly logLevel?: string;
  readonly log?: (line: string) => void;
}

export interface Stack {
  readonly outboxMode: OutboxMode;
  readonly databaseUrl: string;
  /** The read model's database (issue 15), when the stack runs one. */
  readonly readDatabaseUrl: string | null;
  readonly brokers: readonly string[];
  readonly topics: TopicNames;
  readonly consumerGroup: string;
  readonly apiUrl: string;
  readonly paymentUrl: string;
  readonly inventoryUrl: string;
  /** The notification service (issue 15): `GET /admin/sent`, `/admin/gaps`, `/admin/orders/{id}`. */
  readonly notificationUrl: string;
  readonly jwtSecret: string;
  readonly pool: Pool;
  readonly kafka: Kafka;
  readonly logDir: string;
  readonly processes: ReadonlyMap<string, ManagedProcess>;
  readonly consumers: readonly ManagedProcess[];
  readonly apis: readonly ManagedProcess[];
  readonly relays: readonly ManagedProcess[];
  /** Current URLs of the apis (a restarted api announces a new one; one restarting has none). */
  readonly apiUrls: readonly string[];
  /** Metrics URLs of the consumers, in the same order (a restarted consumer has a new one). */
  readonly consumerMetricsUrls: readonly string[];
  /** Each process: running or not, crashes nobody asked for, and the tail of its log. */
  diagnostics(lines?: number): Promise<string>;
  /** Debezium mode: the Kafka Connect worker's REST URL and log file. */
  readonly connect?: { readonly url: string; readonly logFile: string };
  /** SIGTERM everything (reverse start order), then stop the local servers. Returns non-clean exits. */
  stop(): Promise<string[]>;
}

/** Starts PostgreSQL + Kafka (or uses the given ones) and every service as a child process. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const ns = options.namespace ?? "";
  const logDir = options.logDir ?? (await mkdtemp(join(tmpdir(), "order-stack-")));
  const started: ManagedProcess[] = [];
  try {
    const [databaseUrl, brokers] = await Promise.all([
      (async () => {
        if (options.databaseUrl) return options.databaseUrl;
        const { startLocalPostgres } = await import("@orders/local-postgres");
        log("starting PostgreSQL …");
        const pg = await startLocalPostgres();
        cleanups.push(() => pg.stop());
        return pg.url;
      })(),
      (async () => {
        if (options.kafkaBrokers) return [...options.kafkaBrokers];
        const { startKafka } = await import("@orders/local-kafka");
        log("starting Kafka (KRaft) …");
        const k = await startKafka({ partitions: options.partitions ?? 6 });
        cleanups.push(() => k.stop());
        return k.brokers;
      })(),
    ]);
    log("migrating …");
    await migrate(databaseUrl);
    // The read model's own database on the same server (issue 15): `<write database>_read`.
    let readDatabaseUrl: string | null = null;
    if (options.readModel ?? true) {
      const readName = `${new URL(databaseUrl).pathname.slice(1)}_read`
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, "_")
        .slice(0, 63);
      await dropDatabase(databaseUrl, readName);
      readDatabaseUrl = await createDatabase(databaseUrl, readName);
      cleanups.push(() => dropDatabase(databaseUrl, readName));
      await migrateReadModel(readDatabaseUrl);
    }
    const topics: TopicNames = {
      orders: `orders${ns}`,
      inventory: `inventory${ns}`,
      payments: `payments${ns}`,
      deliveries: `deliveries${ns}`,
    };
    const kafka = createKafka({ brokers, clientId: `stack${ns}` });
    await ensureTopics(kafka, projectTopics(topics, options.partitions ?? 6));
    const pool = createPool({ connectionString: databaseUrl, max: 4, applicationName: "stack" });
    cleanups.push(() => pool.end());
    const outboxMode = options.outboxMode ?? "relay";
    // Debezium streams only rows inserted after its slot exists (snapshot.mode=no_data), so the
    // connector is registered and streaming before any service can write to the outbox.
    const connect = outboxMode === "debezium" ? await startDebezium(databaseUrl, brokers, topics.orders, ns, log) : undefined;
    if (connect) cleanups.push(connect.destroy);

    const jwtSecret = options.jwtSecret ?? "demo-secret-please-change-0123456789abcdef";
    const chaos = options.chaos ?? null;
    const [minDelay, maxDelay] = options.answerDelayMs ?? [5, 60];
    const [shipMin, shipMax] = options.shipDelayMs ?? [50, 400];
    const common = {
      KAFKA_BROKERS: brokers.join(","),
      ORDERS_TOPIC: topics.orders,
      INVENTORY_TOPIC: topics.inventory,
      PAYMENTS_TOPIC: topics.payments,
      DELIVERIES_TOPIC: topics.deliveries,
      KAFKA_TOPIC_PARTITIONS: String(options.partitions ?? 6),
      LOG_LEVEL: options.logLevel ?? "info",
    };
    const simChaos = {
      SIM_CHAOS: chaos ? "true" : "false",
      SIM_DUPLICATE_RATE: String(chaos?.duplicateRate ?? 0),
      SIM_REORDER_WINDOW_MS: String(chaos?.reorderWindowMs ?? 0),
    };
    const consumerGroup = `order-consumer${ns}`;
    const processes = new Map<string, ManagedProcess>();
    // In dependency order: a service's URL is known (announced) before the next one needs it.
    // Every service binds port 0 and announces where it listens (see ServiceSpec).
    const run = async (spec: ServiceSpec): Promise<ManagedProcess> => {
      const p = new ManagedProcess(spec, logDir);
      processes.set(spec.name, p);
      log(`starting ${spec.name} …`);
      started.push(p);
      await p.start();
      return p;
    };
    const inventory = await run({
      name: "inventory",
      script: "devkit/simulators/src/inventory-events/main.ts",
      env: {
        ...common,
        ...simChaos,
        PORT: "0",
        INVENTORY_GROUP_ID: `inventory-simulator${ns}`,
        INVENTORY_RESERVE_FAILURE_RATE: String(options.inventoryFailureRate ?? 0),
        INVENTORY_SILENCE_RATE: String(options.inventorySilenceRate ?? 0),
        INVENTORY_MIN_DELAY_MS: String(minDelay),
        INVENTORY_MAX_DELAY_MS: String(maxDelay),
      },
    });
    const payment = await run({
      name: "payment",
      script: "devkit/simulators/src/payment/main.ts",
      env: {
        ...common,
        ...simChaos,
        PORT: "0",
        PAYMENT_FAILURE_RATE: String(options.paymentFailureRate ?? 0),
        PAYMENT_RETRYABLE_SHARE: String(options.paymentRetryableShare ?? 0.5),
        PAYMENT_MIN_DELAY_MS: String(minDelay),
        PAYMENT_MAX_DELAY_MS: String(maxDelay),
      },
    });
    await run({
      name: "delivery",
      script: "devkit/simulators/src/delivery/main.ts",
      env: {
        ...common,
        ...simChaos,
        PORT: "0",
        DELIVERY_GROUP_ID: `delivery-simulator${ns}`,
        DELIVERY_SHIP_MIN_MS: String(shipMin),
        DELIVERY_SHIP_MAX_MS: String(shipMax),
        DELIVERY_DELIVER_MIN_MS: String(shipMin),
        DELIVERY_DELIVER_MAX_MS: String(shipMax),
      },
    });
    // The Notification Service (issue 15): its own group on `orders`, its sink inspectable over HTTP.
    const notification = await run({
      name: "notification",
      script: "devkit/simulators/src/notification/main.ts",
      env: {
        ...common,
        PORT: "0",
        NOTIFICATION_GROUP_ID: `notification-service${ns}`,
        NOTIFICATION_JOURNAL: join(logDir, "notification-journal.jsonl"),
      },
    });
    const named = (base: string, i: number, count: number) => (count === 1 ? base : `${base}-${i}`);
    const relays: ManagedProcess[] = [];
    const relayCount = outboxMode === "relay" ? (options.relays ?? 1) : 0;
    for (let i = 1; i <= relayCount; i++) {
      relays.push(
        await run({
          name: named("relay", i, relayCount),
          script: "apps/relay/src/main.ts",
          env: {
            ...common,
            DATABASE_URL: databaseUrl,
            METRICS_PORT: "0",
            HOST: "127.0.0.1",
            KAFKA_CLIENT_ID: `relay${ns}`,
            ...options.appEnv?.relay,
          },
        }),
      );
    }
    for (let i = 1; i <= (options.consumers ?? 1); i++) {
      await run({
        name: `consumer-${i}`,
        script: "apps/consumer/src/main.ts",
        env: {
          ...common,
          DATABASE_URL: databaseUrl,
          PAYMENT_URL: payment.url,
          CONSUMER_GROUP_ID: consumerGroup,
          PAYMENT_MAX_ATTEMPTS: String(options.maxPaymentAttempts ?? 3),
          PAYMENT_ACTION_WINDOW_MS: String(options.paymentActionWindowMs ?? 3_000),
          PENDING_DEADLINE_MS: String(options.pendingDeadlineMs ?? 30_000),
          DEADLINE_SWEEP_CRON: options.deadlineCron ?? "*/5 * * * * *",
          CRON_CHECK_SECONDS: "2",
          METRICS_PORT: "0",
          ...options.appEnv?.consumer,
        },
      });
    }
    // The projector (issue 15): `orders` alone into the read model, its own group.
    if (readDatabaseUrl)
      await run({
        name: "projector",
        script: "apps/projector/src/main.ts",
        env: { ...common, READ_MODEL_DATABASE_URL: readDatabaseUrl, PROJECTOR_GROUP_ID: `order-projector${ns}`, METRICS_PORT: "0" },
      });
    const apis: ManagedProcess[] = [];
    const apiCount = options.apis ?? 1;
    for (let i = 1; i <= apiCount; i++) {
      apis.push(
        await run({
          name: named("api", i, apiCount),
          script: "apps/api/src/main.ts",
          env: {
            DATABASE_URL: databaseUrl,
            PORT: "0",
            HOST: "127.0.0.1",
            JWT_SECRET: jwtSecret,
            INVENTORY_URL: inventory.url,
            LOG_LEVEL: common.LOG_LEVEL,
            // All local load comes from one address and a few users: limits far above any test's
            // rate (the limiter still runs, on PostgreSQL, through every fault).
            RATE_LIMIT_PER_ADDRESS: "1000000",
            RATE_LIMIT_PER_USER: "1000000",
            ...(readDatabaseUrl ? { READ_MODEL_DATABASE_URL: readDatabaseUrl } : {}),
            ...options.appEnv?.api,
          },
        }),
      );
    }
    const api = apis[0] as ManagedProcess;
    const consumers = [...processes.values()].filter((p) => p.spec.name.startsWith("consumer-"));
    return {
      outboxMode,
      databaseUrl,
      readDatabaseUrl,
      brokers,
      topics,
      consumerGroup,
      get apiUrl() {
        return api.url;
      },
      get apiUrls() {
        return apis.flatMap((a) => (a.currentUrl ? [a.currentUrl] : []));
      },
      apis,
      relays,
      paymentUrl: payment.url,
      inventoryUrl: inventory.url,
      get notificationUrl() {
        return notification.url;
      },
      jwtSecret,
      pool,
      kafka,
      logDir,
      processes,
      consumers,
      get consumerMetricsUrls() {
        return consumers.map((c) => `${c.url}/metrics`);
      },
      async diagnostics(lines = 40) {
        const parts: string[] = [];
        for (const p of processes.values()) {
          parts.push(
            `── ${p.spec.name} (${p.running ? "running" : "not running"}, ${p.logFile})`,
            ...p.unexpectedExits,
            await p.tail(lines),
          );
        }
        return parts.join("\n");
      },
      ...(connect ? { connect: { url: connect.url, logFile: connect.logFile } } : {}),
      async stop() {
        const unclean: string[] = [];
        for (const p of [...started].reverse()) {
          if (!p.running) continue;
          const code = await p.stop("SIGTERM");
          if (code !== 0) unclean.push(`${p.spec.name} exited ${code}`);
          p.close();
        }
        for (const c of cleanups.reverse()) await c().catch(() => {});
        return unclean;
      },
    };
  } catch (error) {
    for (const p of started.reverse()) await p.stop("SIGKILL").catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
    throw error;
  }
}

/**
 * OUTBOX_MODE=debezium: Kafka Connect (official jars from Maven Central) with the checked-in
 * outbox connector as a child JVM, registered over REST and streaming from its slot. Names are
 * per stack (slots are server-wide); stopping removes the connector, slot and publication.
 */
async function startDebezium(databaseUrl: string, brokers: readonly string[], topic: string, ns: string, log: (line: string) => void) {
  const { startOutboxCdc } = await import("@orders/local-connect");
  const id = ns.replace(/[^A-Za-z0-9]/g, "_").toLowerCase();
  log("starting Kafka Connect + Debezium outbox connector …");
  const cdc = await startOutboxCdc({
    databaseUrl,
    bootstrap: brokers.join(","),
    topic,
    connector: {
      ...(ns ? { name: `orders-outbox${ns}`, topicPrefix: `orders-cdc${ns}` } : {}),
      slotName: `orders_outbox_debezium${id}`,
      publicationName: `orders_outbox_publication${id}`,
    },
  });
  log(`connector ${cdc.connector.name} running (Connect ${cdc.worker.url}, slot ${cdc.slotName})`);
  return { url: cdc.worker.url, logFile: cdc.worker.logFile, destroy: () => cdc.destroy() };
}
