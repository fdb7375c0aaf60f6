import {
  type ApplyOptions,
  type ApplyOutcome,
  applyEvents,
  type IncomingEvent,
  isRetriableDbError,
  type Pool,
  withTransaction,
} from "@orders/db";
import { parseConsumedRecord } from "@orders/domain";
import { CE_HEADERS, type ChunkHandler, type ConsumedRecord, type DeadLetter } from "@orders/kafka";
import type { Logger } from "@orders/runtime";
import type { ConsumerMetrics } from "./metrics.ts";

export interface HandlerOptions {
  readonly pool: Pool;
  readonly apply: ApplyOptions;
  /** Stores dead letters durably (acks=all) before the chunk's offsets are committed. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly logger: Logger;
  readonly metrics?: ConsumerMetrics;
  /** Attempts of one transaction on transient database errors (conflicts, connection loss). */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
}

interface Parsed {
  readonly record: ConsumedRecord;
  readonly event: IncomingEvent;
}

const letter = (record: ConsumedRecord, reason: string, detail: string): DeadLetter => ({ ...record, reason, detail });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The consumer's record handler: parse and validate every record, apply the valid ones in one
 * transaction (processed_messages claim + state + timeline + outbox + jobs), dead-letter the
 * rest, and resolve only when all of that is durable — the caller then commits the offsets.
 */
export function lifecycleChunkHandler(options: HandlerOptions): ChunkHandler {
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const m = options.metrics;

  /** One transaction with bounded retries on transient errors; other errors throw at once. */
  const applyWithRetry = async (events: readonly IncomingEvent[]): Promise<ApplyOutcome[]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTransaction(options.pool, (client) => applyEvents(client, events, options.apply));
      } catch (error) {
        if (!isRetriableDbError(error) || attempt >= maxAttempts) throw error;
        m?.retries.inc();
        options.logger.warn("transient database error; retrying the transaction", { attempt, err: error });
        await sleep(retryDelayMs * 2 ** (attempt - 1));
      }
    }
  };

  return async (records) => {
    const started = performance.now();
    const letters: DeadLetter[] = [];
    const parsed: Parsed[] = [];
    for (const record of records) {
      const value = record.value?.toString("utf8") ?? null;
      const result = parseConsumedRecord({ ceType: record.headers[CE_HEADERS.type], ceId: record.headers[CE_HEADERS.id], value });
      if (result.ok) {
        parsed.push({
          record,
          event: { messageId: result.message.messageId, orderId: result.message.orderId, event: result.message.event },
        });
      } else {
        letters.push(letter(record, result.reason, result.detail));
      }
    }

    let outcomes: (ApplyOutcome | { readonly kind: "failed" })[] = [];
    try {
      outcomes = await applyWithRetry(parsed.map((p) => p.event));
    } catch (error) {
      // Still transient after the retries (database down): give up on this chunk without
      // committing; the records come again after the consumer restarts.
      if (isRetriableDbError(error)) throw error;
      // A record the database refuses for good: apply one by one to find it, dead-letter it,
      // and let the rest through.
      outcomes = [];
      for (const p of parsed) {
        try {
          outcomes.push(...(await applyWithRetry([p.event])));
        } catch (single) {
          if (isRetriableDbError(single)) throw single;
          outcomes.push({ kind: "failed" });
          letters.push(letter(p.record, "APPLY_FAILED", (single as Error).message));
        }
      }
    }

    let applied = 0;
    outcomes.forEach((outcome, i) => {
      const p = parsed[i];
      if (!p) return;
      switch (outcome.kind) {
        case "applied":
          applied++;
          m?.applied.inc({ type: p.event.event.type });
          break;
        case "duplicate":
          m?.duplicates.inc();
          break;
        case "skipped":
          m?.skipped.inc({ reason: outcome.reason });
          break;
        case "unknown_order":
          letters.push(letter(p.record, "UNKNOWN_ORDER", `no order ${p.event.orderId}`));
          break;
        case "failed":
          break;
      }
    });

    if (letters.length > 0) {
      await options.deadLetter(letters);
      for (const l of letters) {
        m?.deadLettered.inc({ reason: l.reason });
        options.logger.warn("record dead-lettered", {
          topic: l.topic,
          partition: l.partition,
          offset: l.offset,
          reason: l.reason,
          detail: l.detail,
        });
      }
    }
    m?.noteApplied(applied);
    m?.chunkSize.observe(records.length);
    m?.chunkSeconds.observe((performance.now() - started) / 1000);
  };
}
