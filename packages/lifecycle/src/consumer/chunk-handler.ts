import { isDataRejectedDbError, isRetriableDbError, type Pool, withTransaction } from "@orders/db";
import { parseConsumedRecord } from "@orders/domain";
import {
  CE_HEADERS,
  type ChunkContext,
  type ChunkHandler,
  type ConsumedRecord,
  classifyPublishError,
  type DeadLetter,
  standaloneChunkContext,
} from "@orders/kafka";
import { type Context, type Logger, type Span, SpanKind, SpanStatusCode, startSpan, traceparentOf, withContext } from "@orders/runtime";
import { type ApplyOptions, type ApplyOutcome, applyEvents, type IncomingEvent } from "../apply-events.ts";
import type { ConsumerMetrics } from "./metrics.ts";
import { tracedJobQueue } from "./traced-jobs.ts";
import { type Attempted, type Backoff, retryUntilDone } from "./transient-retry.ts";

export interface HandlerOptions {
  readonly pool: Pool;
  readonly apply: ApplyOptions;
  /** Stores dead letters durably (acks=all) before the chunk's offsets are committed. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly logger: Logger;
  readonly metrics?: ConsumerMetrics;
  /**
   * Wait after a transient failure (database timeout, conflict or connection loss; the
   * dead-letter topic unreachable), doubling up to `maxRetryDelayMs` for as long as it lasts.
   */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

interface Parsed {
  readonly record: ConsumedRecord;
  readonly event: IncomingEvent;
}

/**
 * A consumer span per record that carries a trace (its `traceparent` header): the child of the
 * sender's span, and the context of what applying the record writes — outbox rows, follow-up
 * jobs — so the trace goes on from there.
 */
const processSpan = (record: ConsumedRecord, type: string | undefined) =>
  record.headers.traceparent
    ? startSpan(`process ${record.topic}`, {
        kind: SpanKind.CONSUMER,
        parent: record.headers,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "process",
          "messaging.operation.name": "process",
          "messaging.destination.name": record.topic,
          "messaging.destination.partition.id": String(record.partition),
          "messaging.kafka.offset": Number(record.offset),
          ...(record.headers[CE_HEADERS.id] ? { "messaging.message.id": record.headers[CE_HEADERS.id] } : {}),
          ...(type ? { "order_service.event_type": type } : {}),
        },
      })
    : null;

type Outcome = ApplyOutcome | { readonly kind: "failed" };

const letter = (record: ConsumedRecord, reason: string, detail: string): DeadLetter => ({ ...record, reason, detail });

const describe = (error: unknown) => {
  const e = error as { message?: unknown; code?: unknown; constraint?: unknown };
  const extra = [e.code ? `SQLSTATE ${String(e.code)}` : "", e.constraint ? `constraint ${String(e.constraint)}` : ""].filter(Boolean);
  return `${String(e.message ?? error)}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`;
};

/**
 * The consumer's record handler: parse and validate every record, apply the valid ones in one
 * transaction (processed_messages claim + state + timeline + outbox + jobs), dead-letter the
 * rest, and resolve only when all of that is durable — the caller then commits the offsets.
 *
 * Only a record's own fault is dead-lettered: unparseable, schema-invalid, unknown type, unknown
 * order, or data the database refuses for good (SQLSTATE class 22/23). Anything else — timeouts,
 * lock waits, conflicts, connection loss, the dead-letter topic unreachable, or an error nobody
 * classified — is waited out with backoff, the partition paused, for as long as it lasts.
 */
export function lifecycleChunkHandler(options: HandlerOptions): ChunkHandler {
  const backoff: Backoff = { initialDelayMs: options.retryDelayMs ?? 100, maxDelayMs: options.maxRetryDelayMs ?? 10_000 };
  const { logger } = options;
  const m = options.metrics;

  const waitingGauge = (waiting: boolean) => (waiting ? m?.waiting.inc() : m?.waiting.dec());

  /**
   * One transaction, retried while the failure is transient. A single record's transaction is
   * also retried on an error nobody classified (a bug, a schema mismatch during a deploy): only
   * data the database refuses for good (class 22/23) is the record's fault.
   */
  // Follow-up jobs carry the trace of the record that asked for them (see traced-jobs.ts).
  const tracedApply = (events: readonly IncomingEvent[]): ApplyOptions => {
    const traces = new Map<string, string>();
    for (const e of events) if (e.traceparent) traces.set(e.messageId, e.traceparent);
    return traces.size === 0 ? options.apply : { ...options.apply, jobs: tracedJobQueue(options.apply.jobs, traces) };
  };
  const applyUntilDone = (events: readonly IncomingEvent[], context: ChunkContext): Promise<Attempted<ApplyOutcome[]>> =>
    retryUntilDone(() => withTransaction(options.pool, (client) => applyEvents(client, events, tracedApply(events))), {
      context,
      backoff,
      retry: (error) => isRetriableDbError(error) || (events.length === 1 && !isDataRejectedDbError(error)),
      onWaiting: waitingGauge,
      onRetry: (error, attempt, delayMs) => {
        const transient = isRetriableDbError(error);
        m?.retries.inc({ cause: transient ? "database" : "unexpected" });
        const fields = { attempt, delayMs, records: events.length, err: error };
        if (transient) logger.warn("transient database error; partition waits, then retries the transaction", fields);
        else logger.error("unexpected error applying a record (not its own fault); partition waits, then retries", fields);
      },
    });

  const deadLetterUntilStored = async (letters: readonly DeadLetter[], context: ChunkContext): Promise<void> => {
    const stored = await retryUntilDone(() => options.deadLetter(letters), {
      context,
      backoff,
      // A dead letter the broker refuses for what it is would be refused forever: throw (as before).
      retry: (error) => classifyPublishError(error) === "transient",
      onWaiting: waitingGauge,
      onRetry: (error, attempt, delayMs) => {
        m?.retries.inc({ cause: "dead_letter" });
        logger.warn("dead-letter topic unavailable; partition waits, then retries", {
          attempt,
          delayMs,
          letters: letters.length,
          err: error,
        });
      },
    });
    if (!stored.ok) throw stored.error;
  };

  return async (records, context = standaloneChunkContext) => {
    const started = performance.now();
    const letters: DeadLetter[] = [];
    const parsed: Parsed[] = [];
    const spans = new Map<ConsumedRecord, { span: Span; context: Context }>();
    for (const record of records) {
      const traced = processSpan(record, record.headers[CE_HEADERS.type]);
      if (traced) spans.set(record, traced);
      const value = record.value?.toString("utf8") ?? null;
      const result = parseConsumedRecord({ ceType: record.headers[CE_HEADERS.type], ceId: record.headers[CE_HEADERS.id], value });
      if (result.ok) {
        const traceparent = traced ? traceparentOf(traced.context) : null;
        parsed.push({
          record,
          event: {
            messageId: result.message.messageId,
            orderId: result.message.orderId,
            event: result.message.event,
            ...(traceparent ? { traceparent } : {}),
          },
        });
      } else {
        letters.push(letter(record, result.reason, result.detail));
      }
    }
    try {
      await handleParsed(records, parsed, letters, spans, context, started);
    } finally {
      for (const { span } of spans.values()) span.end();
    }
  };

  async function handleParsed(
    records: readonly ConsumedRecord[],
    parsed: readonly Parsed[],
    letters: DeadLetter[],
    spans: ReadonlyMap<ConsumedRecord, { span: Span; context: Context }>,
    context: ChunkContext,
    started: number,
  ): Promise<void> {
    let outcomes: Outcome[] = [];
    const all =
      parsed.length === 0
        ? { ok: true as const, value: [] }
        : await applyUntilDone(
            parsed.map((p) => p.event),
            context,
          );
    if (all.ok) {
      outcomes = all.value;
    } else if (parsed.length === 1) {
      outcomes = [{ kind: "failed" }];
      letters.push(letter((parsed[0] as Parsed).record, "APPLY_FAILED", describe(all.error)));
    } else {
      // Some record of the chunk fails for more than a moment: apply one by one to find it,
      // dead-letter it if the database refuses its data for good, and let the rest through.
      for (const p of parsed) {
        const one = await applyUntilDone([p.event], context);
        if (one.ok) {
          outcomes.push(...one.value);
        } else {
          outcomes.push({ kind: "failed" });
          letters.push(letter(p.record, "APPLY_FAILED", describe(one.error)));
        }
      }
    }

    let applied = 0;
    outcomes.forEach((outcome, i) => {
      const p = parsed[i];
      if (!p) return;
      spans
        .get(p.record)
        ?.span.setAttribute("order_service.outcome", outcome.kind === "skipped" ? `skipped:${outcome.reason}` : outcome.kind);
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
      await deadLetterUntilStored(letters, context);
      for (const l of letters) {
        m?.deadLettered.inc({ reason: l.reason });
        const traced = [...spans.entries()].find(([r]) => r.topic === l.topic && r.partition === l.partition && r.offset === l.offset)?.[1];
        traced?.span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${l.reason}` });
        const warn = () =>
          logger.warn("record dead-lettered", {
            topic: l.topic,
            partition: l.partition,
            offset: l.offset,
            reason: l.reason,
            detail: l.detail,
          });
        if (traced) withContext(traced.context, warn);
        else warn();
      }
    }
    m?.noteApplied(applied);
    m?.chunkSize.observe(records.length);
    m?.chunkSeconds.observe((performance.now() - started) / 1000);
  }
}
