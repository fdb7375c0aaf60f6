import { createPool } from "@orders/db";
import { createRecordSender, DEFAULT_TOPIC_NAMES, parseBrokers } from "@orders/kafka";
import { enqueueReplay, type ReplayRequest, replay, replayPublisher } from "@orders/outbox-relay";
import { createProgress } from "@orders/runtime";

export async function runReplay(
  databaseUrl: string,
  options: { json: boolean; background: boolean; request: ReplayRequest },
): Promise<void> {
  if (options.background) {
    const jobId = await enqueueReplay(databaseUrl, options.request);
    process.stdout.write(options.json ? `${JSON.stringify({ queued: true, jobId })}\n` : `replay queued as job ${jobId}\n`);
    return;
  }
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error("KAFKA_BROKERS is not set");
  const topic = process.env.ORDERS_TOPIC ?? DEFAULT_TOPIC_NAMES.orders;
  const pool = createPool({ connectionString: databaseUrl, max: 2, applicationName: "relay-cli" });
  const sender = createRecordSender({ brokers: parseBrokers(brokers), clientId: "relay-cli" });
  const progress = createProgress("replay");
  const started = Date.now();
  try {
    await sender.connect(topic);
    const result = await replay(pool, replayPublisher(sender, topic), options.request, {
      onProgress: (p) => progress.update(p.done, p.total),
    });
    progress.finish();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ replayed: result.done, total: result.total, lastSequence: result.lastSequence, topic, seconds })}\n`
        : `replayed ${result.done} row${result.done === 1 ? "" : "s"} to ${topic} in ${seconds.toFixed(1)} s (last sequence ${result.lastSequence})\n`,
    );
  } finally {
    await sender.close().catch(() => {});
    await pool.end();
  }
}
