import { createPool } from "@orders/db";
import { migrateReadModel } from "@orders/db/read-model";
import { createBatchConsumer, createKafka } from "@orders/kafka";
import { createMetricsRegistry, createReadiness, type Logger, type OpsServer, serveOps } from "@orders/runtime";
import type { ProjectorConfig } from "./config.ts";
import { projectionHandler, projectionMetrics } from "./projection.ts";

export interface RunningProjector {
  readonly metricsUrl: string | null;
  /** Records behind, summed over this member's partitions. */
  lag(): number;
  stop(): Promise<void>;
}

/**
 * The projector (issue 15): migrates the read database (its own folder), then consumes `orders`
 * alone in its own group into the read model. Projection lag is a metric and part of readiness.
 */
export async function startProjector(config: ProjectorConfig, logger: Logger): Promise<RunningProjector> {
  const migrated = await migrateReadModel(config.readDatabaseUrl);
  if (migrated.applied.length > 0) logger.info("read model migrated", { applied: migrated.applied });
  const pool = createPool({ connectionString: config.readDatabaseUrl, max: config.poolMax, applicationName: "projector" });
  const registry = createMetricsRegistry("projector");
  const metrics = projectionMetrics(registry);
  const lags = new Map<string, number>();
  const kafka = createKafka({ brokers: [...config.brokers], clientId: "projector" });
  const consumer = createBatchConsumer(kafka, {
    groupId: config.groupId,
    topics: [config.topics.orders],
    handle: projectionHandler(pool, metrics),
    chunkSize: config.chunkSize,
    partitionsConcurrently: config.partitionsConcurrently,
    fromBeginning: true,
    onLag: (topic, partition, lag) => {
      const key = `${topic}:${partition}`;
      if (lag === null) {
        lags.delete(key);
        metrics.lag.remove({ topic, partition: String(partition) });
      } else {
        lags.set(key, lag);
        metrics.lag.set({ topic, partition: String(partition) }, lag);
      }
    },
    onCrash: (error, restarting) => logger.error("projector consumer crashed", { error: String(error), restarting }),
  });
  const lag = () => [...lags.values()].reduce((a, b) => a + b, 0);
  let ops: OpsServer | null = null;
  try {
    await consumer.start();
    const readiness = createReadiness({
      database: () => pool.query("SELECT 1"),
      projection: async () => {
        const behind = lag();
        if (behind > config.readyMaxLag) throw new Error(`projection ${behind} records behind (max ${config.readyMaxLag})`);
      },
    });
    if (config.ops) ops = await serveOps({ registry, port: config.ops.port, host: config.ops.host, readiness });
  } catch (error) {
    await consumer.stop().catch(() => {});
    await pool.end().catch(() => {});
    throw error;
  }
  return {
    metricsUrl: ops ? `${ops.url}/metrics` : null,
    lag,
    async stop() {
      await consumer.stop();
      await ops?.close();
      await pool.end();
    },
  };
}
