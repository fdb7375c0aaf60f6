import { randomUUID } from "node:crypto";
import { type LocalKafka, startKafka } from "@orders/local-kafka";
import { type LocalPostgres, startLocalPostgres } from "@orders/local-postgres";
import pg from "pg";

/**
 * The fault suite's own PostgreSQL and Kafka: it stops and crashes them, so they must never be
 * the servers other test files share.
 */
export interface FaultServers {
  readonly postgres: LocalPostgres;
  readonly kafka: LocalKafka;
  /** A fresh, empty database on the dedicated server (the stack migrates it). */
  freshDatabase(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startFaultServers(log: (line: string) => void = () => {}): Promise<FaultServers> {
  log("starting the fault suite's own PostgreSQL and Kafka …");
  const [postgres, kafka] = await Promise.all([
    // Durable, as production is: an immediate stop must leave crash recovery something to do.
    startLocalPostgres({ durable: true }),
    startKafka({ partitions: 6 }),
  ]);
  return {
    postgres,
    kafka,
    async freshDatabase(prefix) {
      const name = `${prefix}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/gi, "_").toLowerCase();
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      try {
        // Identifier built above from [a-z0-9_] only.
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return postgres.urlFor(name);
    },
    async stop() {
      await Promise.all([postgres.stop(), kafka.stop()]);
    },
  };
}
