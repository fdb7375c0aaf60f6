import pg from "pg";
import { type ConnectWorker, type StartConnectOptions, startConnect } from "./connect-worker.ts";
import { type ConnectorRegistration, type OutboxConnectorOverrides, outboxConnector, postgresEnv } from "./connector-config.ts";
import { dropSlotAndPublication, waitForActiveSlot } from "./replication-slot.ts";

export type OutboxCdcOptions = {
  databaseUrl: string;
  /** Kafka `bootstrap.servers`. */
  bootstrap: string;
  /** Topic every outbox row goes to (ORDERS_TOPIC); default `orders`. */
  topic?: string;
  connector?: Omit<OutboxConnectorOverrides, "topic">;
  worker?: Omit<StartConnectOptions, "bootstrap" | "env">;
};

/**
 * The slot/publication bookkeeping pool. An idle client of it may be ended by the server at any
 * time — a test database dropped WITH (FORCE), the run's PostgreSQL stopping (57P01): without an
 * 'error' listener node-postgres rethrows that as an uncaught exception, which failed a whole
 * test run after every test had passed (issue 12, defect 7). The next query reconnects.
 */
export function adminPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: "outbox-cdc-admin" });
  pool.on("error", () => {});
  return pool;
}

export type OutboxCdc = {
  readonly worker: ConnectWorker;
  readonly connector: ConnectorRegistration;
  readonly slotName: string;
  readonly publicationName: string;
  /** Registers the connector (idempotent) and waits until its task streams from the slot. */
  register(): Promise<void>;
  /** Stops the worker; the slot, publication and committed offsets stay for the next start. */
  stop(): Promise<void>;
  /** Deletes the connector, stops the worker and drops the slot and publication. */
  destroy(): Promise<void>;
};

/**
 * OUTBOX_MODE=debezium: instead of apps/relay, a Kafka Connect worker with the Debezium
 * outbox connector (deploy/debezium/outbox-connector.json) publishes the outbox to `topic`.
 */
export async function startOutboxCdc(options: OutboxCdcOptions): Promise<OutboxCdc> {
  const topic = options.topic ?? "orders";
  const connector = outboxConnector(options.connector ?? {});
  const slotName = connector.config["slot.name"] as string;
  const publicationName = connector.config["publication.name"] as string;
  const worker = await startConnect({
    ...options.worker,
    bootstrap: options.bootstrap,
    env: { ...postgresEnv(options.databaseUrl), ORDERS_TOPIC: topic },
  });
  const admin = adminPool(options.databaseUrl);

  const register = async () => {
    await worker.rest.putConnector(connector.name, connector.config);
    await worker.rest.waitForState(connector.name);
    await waitForActiveSlot(admin, slotName);
  };
  try {
    await register();
  } catch (error) {
    await worker.stop().catch(() => {});
    await admin.end().catch(() => {});
    throw error;
  }
  return {
    worker,
    connector,
    slotName,
    publicationName,
    register,
    stop: async () => {
      await worker.stop();
      await admin.end();
    },
    destroy: async () => {
      try {
        await worker.rest.deleteConnector(connector.name).catch(() => {});
        await worker.stop();
        await dropSlotAndPublication(admin, slotName, publicationName);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}
