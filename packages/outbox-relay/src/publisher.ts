import type { OutboxRecordRow } from "@orders/db";
import { outboxRecord, type Producer, sendRecords } from "@orders/kafka";
import { BrokenCircuitError, type CircuitBreakerPolicy, CircuitState, type IPolicy } from "cockatiel";

/** Sends outbox rows to one topic through the retry/breaker policy; resolves when acked. */
export interface Publisher {
  publish(rows: readonly OutboxRecordRow[]): Promise<void>;
  /** True while the breaker is open: don't claim rows, they could only fail. */
  isOpen(): boolean;
  readonly topic: string;
}

export interface PublisherOptions {
  /**
   * One connected idempotent producer, or several: a send uses an idle one. kafkajs lets an
   * idempotent producer have one produce request per broker in flight, so concurrent batches
   * (RELAY_CONCURRENCY) each need their own producer to overlap their sends. Batches in flight
   * never share an aggregate (see claimOutboxBatch), so per-key order does not depend on which
   * producer sends what.
   */
  readonly producer: Producer | readonly Producer[];
  readonly topic: string;
  /** From `buildCallPolicy` (runtime): timeout → retry with backoff → breaker. */
  readonly policy: IPolicy;
  readonly breaker: CircuitBreakerPolicy;
  /** The breaker's half-open delay: after it a trial call may go through again. */
  readonly halfOpenAfterMs: number;
  readonly ackTimeoutMs?: number;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { topic, policy, breaker } = options;
  const producers: readonly Producer[] = Array.isArray(options.producer) ? options.producer : [options.producer as Producer];
  if (producers.length === 0) throw new Error("createPublisher: no producer");
  const idle = [...producers];
  let next = 0;
  // cockatiel moves Open → HalfOpen only when the next call arrives, so "open" here means
  // "opened less than halfOpenAfterMs ago": after that the loop must try, or it never closes.
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
  });
  return {
    topic,
    publish: async (rows) => {
      const records = rows.map(outboxRecord);
      // An idle producer, or (more sends than producers) the next one in turn: kafkajs queues.
      const leased = idle.pop();
      const producer = leased ?? (producers[next++ % producers.length] as Producer);
      try {
        await policy.execute(() => sendRecords(producer, topic, records, { ackTimeoutMs: options.ackTimeoutMs ?? 30_000 }));
      } finally {
        if (leased) idle.push(leased);
      }
    },
    isOpen: () => breaker.state === CircuitState.Open && Date.now() - openedAt < options.halfOpenAfterMs,
  };
}

export const isBrokenCircuit = (error: unknown): boolean => error instanceof BrokenCircuitError;
