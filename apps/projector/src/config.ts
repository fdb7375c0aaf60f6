import { type TopicNames, topicEnvEntries, topicNamesFrom } from "@orders/kafka";
import { env, workerProcessEnv } from "@orders/runtime";
import * as v from "valibot";

/** The projector's environment (docs/configuration.md, issue 15). */
export const ProjectorEnvSchema = v.object({
  /** The read model's own database (never the write database). */
  READ_MODEL_DATABASE_URL: env.url(),
  KAFKA_BROKERS: env.list(),
  ...topicEnvEntries,
  PROJECTOR_GROUP_ID: env.string("order-projector"),
  PROJECTOR_CHUNK_SIZE: env.int(500, 1, 5_000),
  PROJECTOR_PARTITIONS_CONCURRENTLY: env.int(3, 1, 64),
  /** /readyz fails while the projection is further behind `orders` than this many records. */
  PROJECTOR_READY_MAX_LAG: env.int(10_000, 0, 1_000_000_000),
  DATABASE_POOL_MAX: env.int(4, 1, 200),
  ...workerProcessEnv({ metricsPort: 9104 }),
});

export type ProjectorEnv = v.InferOutput<typeof ProjectorEnvSchema>;

export interface ProjectorConfig {
  readonly readDatabaseUrl: string;
  readonly brokers: readonly string[];
  readonly topics: TopicNames;
  readonly groupId: string;
  readonly chunkSize: number;
  readonly partitionsConcurrently: number;
  readonly readyMaxLag: number;
  readonly poolMax: number;
  /** Ops server (`/metrics`, `/healthz`, `/readyz`); null: none. */
  readonly ops: { readonly port: number; readonly host: string } | null;
}

export const toProjectorConfig = (e: ProjectorEnv): ProjectorConfig => ({
  readDatabaseUrl: e.READ_MODEL_DATABASE_URL,
  brokers: e.KAFKA_BROKERS,
  topics: topicNamesFrom(e),
  groupId: e.PROJECTOR_GROUP_ID,
  chunkSize: e.PROJECTOR_CHUNK_SIZE,
  partitionsConcurrently: e.PROJECTOR_PARTITIONS_CONCURRENTLY,
  readyMaxLag: e.PROJECTOR_READY_MAX_LAG,
  poolMax: e.DATABASE_POOL_MAX,
  ops: { port: e.METRICS_PORT, host: e.HOST },
});
