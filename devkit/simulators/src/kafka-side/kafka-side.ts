import {
  type ChunkHandler,
  createBatchConsumer,
  createIdempotentProducer,
  createKafka,
  type Kafka,
  type TopicEnv,
  type TopicNames,
  topicNamesFrom,
} from "@orders/kafka";
import { inSpan, type Shutdown, SpanKind } from "@orders/runtime";
import { ChaosEmitter } from "./chaos-emitter.ts";
import { chaosFrom } from "./config.ts";

type KafkaSideEnv = TopicEnv & {
  KAFKA_BROKERS: string[];
  SIM_CHAOS: boolean;
  SIM_DUPLICATE_RATE: number;
  SIM_REORDER_WINDOW_MS: number;
};

export interface KafkaSide {
  readonly kafka: Kafka;
  readonly topics: TopicNames;
  readonly emitter: ChaosEmitter;
}

/**
 * A simulator's answering side: a connected idempotent producer and the chaos emitter writing
 * to `answerTopic`, both closed on shutdown (emitter first: it flushes held-back answers).
 */
export async function startKafkaSide(
  config: KafkaSideEnv,
  shutdown: Shutdown,
  options: { clientId: string; answerTopic: (topics: TopicNames) => string; maxInFlightRequests?: number },
): Promise<KafkaSide> {
  const topics = topicNamesFrom(config);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: options.clientId });
  const producer = createIdempotentProducer(
    kafka,
    options.maxInFlightRequests === undefined ? {} : { maxInFlightRequests: options.maxInFlightRequests },
  );
  await producer.connect();
  shutdown.onShutdown("producer", () => producer.disconnect());
  const emitter = new ChaosEmitter(producer, options.answerTopic(topics), chaosFrom(config));
  shutdown.onShutdown("emitter", () => emitter.close());
  return { kafka, topics, emitter };
}

/**
 * Hands records to `handle` one at a time, each inside a consumer span continuing the record's
 * trace (`traceparent` header): what the simulator answers for it — now or from a timer — carries
 * that trace (ChaosEmitter.emit reads the active context).
 */
export const tracedPerRecord =
  (handle: ChunkHandler): ChunkHandler =>
  async (records, context) => {
    for (const r of records) {
      if (!r.headers.traceparent) await handle([r], context);
      else
        await inSpan(
          `process ${r.topic}`,
          { kind: SpanKind.CONSUMER, parent: r.headers, attributes: { "messaging.system": "kafka" } },
          () => handle([r], context),
        );
    }
  };

/** Consumes `orders` in group `groupId` with `handle`; stopped first on shutdown. */
export async function consumeOrders(side: KafkaSide, shutdown: Shutdown, groupId: string, handle: ChunkHandler): Promise<void> {
  const consumer = createBatchConsumer(side.kafka, { groupId, topics: [side.topics.orders], handle: tracedPerRecord(handle) });
  await consumer.start();
  shutdown.onShutdown("consumer", () => consumer.stop());
}
