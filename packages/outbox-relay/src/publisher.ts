import type { OutboxRecordRow } from "@orders/db";
import { outboxRecord, type RecordSender } from "@orders/kafka";
import { SpanKind, SpanStatusCode, startSpan, traceparentOf } from "@orders/runtime";
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
   * One idempotent record sender, or several: a send uses an idle one. An idempotent producer
   * has one produce request per broker in flight, so concurrent batches (RELAY_CONCURRENCY)
   * each need their own sender to overlap their sends. Batches in flight never share an
   * aggregate (see claimOutboxBatch), so per-key order does not depend on which sender sends what.
   */
  readonly sender: RecordSender | readonly RecordSender[];
  readonly topic: string;
  /** From `buildCallPolicy` (runtime): timeout → retry with backoff → breaker. */
  readonly policy: IPolicy;
  readonly breaker: CircuitBreakerPolicy;
  /** The breaker's half-open delay: after it a trial call may go through again. */
  readonly halfOpenAfterMs: number;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { topic, policy, breaker } = options;
  const senders: readonly RecordSender[] = Array.isArray(options.sender) ? options.sender : [options.sender as RecordSender];
  if (senders.length === 0) throw new Error("createPublisher: no sender");
  const idle = [...senders];
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
      // One producer span per row that carries a trace (the transaction that wrote it): a child
      // of that transaction's span, and the record's traceparent names it, so the consumers of
      // the record continue from the send. Rows without one go out as they are.
      const spans = rows.map((row) =>
        row.traceparent
          ? startSpan(`send ${topic}`, {
              kind: SpanKind.PRODUCER,
              parent: { traceparent: row.traceparent },
              attributes: {
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.operation.name": "send",
                "messaging.destination.name": topic,
                "messaging.message.id": row.id,
                "messaging.kafka.message.key": row.aggregateId,
                "order_service.event_type": row.type,
              },
            })
          : null,
      );
      const records = rows.map((row, i) => {
        const traced = spans[i];
        return outboxRecord(traced ? { ...row, traceparent: traceparentOf(traced.context) ?? row.traceparent } : row);
      });
      // An idle sender, or (more sends than senders) the next one in turn: it queues.
      const leased = idle.pop();
      const sender = leased ?? (senders[next++ % senders.length] as RecordSender);
      try {
        await policy.execute(() => sender.send(topic, records));
      } catch (error) {
        for (const s of spans)
          s?.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        if (leased) idle.push(leased);
        for (const s of spans) s?.span.end();
      }
    },
    isOpen: () => breaker.state === CircuitState.Open && Date.now() - openedAt < options.halfOpenAfterMs,
  };
}

export const isBrokenCircuit = (error: unknown): boolean => error instanceof BrokenCircuitError;
