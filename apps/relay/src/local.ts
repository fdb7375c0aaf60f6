/**
 * Development entry (`npm run start:local -w @orders/relay`): without DATABASE_URL /
 * KAFKA_BROKERS, starts throw-away local servers (PostgreSQL migrated, a KRaft broker), then
 * runs the production entry (main.ts) on them. The embedded servers are devDependencies:
 * production images run main.ts and never load them. Their guards stop them when this process exits.
 */
import { migrate } from "@orders/db";
import { startKafka } from "@orders/local-kafka";
import { startLocalPostgres } from "@orders/local-postgres";

if (!process.env.DATABASE_URL) {
  const pg = await startLocalPostgres();
  await migrate(pg.url);
  process.env.DATABASE_URL = pg.url;
  process.stderr.write(`DATABASE_URL not set: started a throw-away local PostgreSQL at ${pg.url}\n`);
}
if (!process.env.KAFKA_BROKERS) {
  const kafka = await startKafka({ partitions: Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 6) });
  process.env.KAFKA_BROKERS = kafka.bootstrap;
  process.stderr.write(`KAFKA_BROKERS not set: started a throw-away local Kafka broker at ${kafka.bootstrap}\n`);
}
await import("./main.ts");
