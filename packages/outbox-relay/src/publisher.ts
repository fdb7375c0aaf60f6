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
  readonly producer: Producer;
  readonly topic: string;
  /** From `buildCallPolicy` (runtime): timeout → retry with backoff → breaker. */
  readonly policy: IPolicy;
  readonly breaker: CircuitBreakerPolicy;
  /** The breaker's half-open delay: after it a trial call may go through again. */
  readonly halfOpenAfterMs: number;
  readonly ackTimeoutMs?: number;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { producer, topic, policy, breaker } = options;
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
      await policy.execute(() => sendRecords(producer, topic, records, { ackTimeoutMs: options.ackTimeoutMs ?? 30_000 }));
    },
    isOpen: () => breaker.state === CircuitState.Open && Date.now() - openedAt < options.halfOpenAfterMs,
  };
}

export const isBrokenCircuit = (error: unknown): boolean => error instanceof BrokenCircuitError;
