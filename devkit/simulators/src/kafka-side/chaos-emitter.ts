import { type OutgoingRecord, orderResultRecord, type Producer, sendRecords } from "@orders/kafka";
import { traceparentOf } from "@orders/runtime";

export interface ChaosSettings {
  /** Off: records go out in emit order, once. */
  readonly enabled: boolean;
  /** Share of records sent twice (same ce_id, so the consumer must de-duplicate). */
  readonly duplicateRate: number;
  /** Each record is held a random 0..window ms, so records emitted close together swap places. */
  readonly reorderWindowMs: number;
}

export const NO_CHAOS: ChaosSettings = { enabled: false, duplicateRate: 0, reorderWindowMs: 0 };

interface Pending {
  readonly due: number;
  readonly seq: number;
  readonly record: OutgoingRecord;
}

/**
 * A simulator's output: records are buffered and sent by a flush loop (one batch per tick).
 * In chaos mode it duplicates and reorders its own output — within one order's records too —
 * which is what the consumer's decision table and dedup must survive.
 */
export class ChaosEmitter {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #random: () => number;
  #settings: ChaosSettings;
  #pending: Pending[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();
  /** Records handed to the broker (duplicates included). */
  sent = 0;
  duplicated = 0;

  constructor(producer: Producer, topic: string, settings: ChaosSettings = NO_CHAOS, random: () => number = Math.random) {
    this.#producer = producer;
    this.#topic = topic;
    this.#settings = settings;
    this.#random = random;
    this.#timer = setInterval(() => {
      this.#flushing = this.#flushing.then(() => this.#flush(false));
    }, 20);
  }

  get settings(): ChaosSettings {
    return this.#settings;
  }

  update(patch: Partial<ChaosSettings>): ChaosSettings {
    this.#settings = { ...this.#settings, ...patch };
    return this.#settings;
  }

  emit(answer: OutgoingRecord): void {
    // The answer continues the trace of what caused it (the consumed record, the HTTP request).
    const traceparent = answer.headers.traceparent ? null : traceparentOf();
    const record = traceparent ? { ...answer, headers: { ...answer.headers, traceparent } } : answer;
    const now = Date.now();
    const s = this.#settings;
    const hold = () => (s.enabled ? Math.floor(this.#random() * s.reorderWindowMs) : 0);
    this.#pending.push({ due: now + hold(), seq: this.#seq++, record });
    if (s.enabled && this.#random() < s.duplicateRate) {
      this.duplicated++;
      this.#pending.push({ due: now + hold(), seq: this.#seq++, record });
    }
  }

  async #flush(all: boolean): Promise<void> {
    const now = Date.now();
    const ready = all ? this.#pending : this.#pending.filter((p) => p.due <= now);
    if (ready.length === 0) return;
    this.#pending = all ? [] : this.#pending.filter((p) => p.due > now);
    ready.sort((a, b) => a.due - b.due || a.seq - b.seq);
    for (;;) {
      try {
        await sendRecords(
          this.#producer,
          this.#topic,
          ready.map((p) => p.record),
        );
        this.sent += ready.length;
        return;
      } catch {
        // The broker is away: keep the records and try again shortly (never drop output).
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Sends everything still held, then stops the loop. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flushing;
    await this.#flush(true);
  }
}

/** CloudEvents binary-mode record of a simulator's answer (DESIGN §5). */
export const answerRecord = orderResultRecord;
