import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { CE_HEADERS, type ConsumedRecord, checkSequence, sequenceOf } from "@orders/kafka";
import type { Logger } from "@orders/runtime";
import { type Channel, type Message, messagesFor, type Template } from "./templates.ts";

/** One message "sent" (the sink): who got what, for which event of which order. */
export interface SentMessage {
  readonly orderId: string;
  /** The event's ce_sequence (null for a record without one). */
  readonly sequence: number | null;
  readonly eventId: string;
  readonly eventType: string;
  readonly template: Template;
  readonly channel: Channel;
  readonly to: string;
  readonly subject: string;
  readonly sentAt: string;
}

/** A hole in an order's sequence: `from`..`to` were not seen when `received` arrived. */
export interface SequenceGap {
  readonly orderId: string;
  readonly from: number;
  readonly to: number;
  readonly received: number;
  readonly detectedAt: string;
  /** True once every missing number arrived after all (a redelivery or a replay). */
  filled: boolean;
}

/** What the service saw of one order: every event, in arrival order. */
export interface OrderTrail {
  readonly orderId: string;
  readonly events: { readonly sequence: number | null; readonly type: string; readonly eventId: string }[];
}

export interface NotificationStats {
  events: number;
  duplicates: number;
  sent: number;
  gaps: number;
  openGaps: number;
  unknownTypes: number;
}

export interface NotificationHooks {
  /** A message was sent (metrics). */
  onSent?(m: SentMessage): void;
  /** A gap was detected (metrics). */
  onGap?(g: SequenceGap): void;
  onDuplicate?(): void;
}

type JournalLine = { k: "event"; orderId: string; sequence: number | null; type: string; eventId: string } | ({ k: "sent" } & SentMessage);

const KNOWN_TYPES = new Set([
  "OrderCreated",
  "OrderConfirmed",
  "OrderCancelled",
  "OrderStatusChanged",
  "OrderLinesCancelled",
  "ReturnRequested",
  "ReturnReceived",
  "RefundRequested",
  "RefundSettled",
]);

/**
 * The Notification Service (issue 15): consumes `orders`, "sends" the e-mail/SMS a customer would
 * get, exactly once per event, and flags a gap in an order's `ce_sequence`.
 *
 * Exactly once: an event is identified by (order id, ce_sequence) — the same number on a
 * redelivery, a relay re-send, a `relay replay` or Debezium's copy — or by ce_id when it has no
 * sequence. The event and the messages it caused are appended to the journal (one write per
 * chunk) before the chunk resolves, i.e. before its offsets are committed; on start the journal
 * is read back, so a restart re-reading uncommitted records finds them already handled.
 * Gaps: per order the highest sequence seen; a record more than one above it is a gap (its
 * messages are still sent: the customer should not wait for an event that may never come),
 * logged, counted and listed; a missing number arriving later fills it (and sends its messages).
 */
export class NotificationService {
  readonly #journal: string | undefined;
  readonly #logger: Logger | undefined;
  readonly #hooks: NotificationHooks;
  readonly #now: () => Date;
  readonly #seen = new Map<string, Set<number>>();
  readonly #seenIds = new Set<string>();
  readonly #max = new Map<string, number>();
  readonly #trails = new Map<string, OrderTrail>();
  readonly #sent: SentMessage[] = [];
  readonly #gaps: SequenceGap[] = [];
  readonly stats: NotificationStats = { events: 0, duplicates: 0, sent: 0, gaps: 0, openGaps: 0, unknownTypes: 0 };

  constructor(options: { journalPath?: string; logger?: Logger; hooks?: NotificationHooks; now?: () => Date } = {}) {
    this.#journal = options.journalPath;
    this.#logger = options.logger;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => new Date());
    if (this.#journal && existsSync(this.#journal)) this.#load(this.#journal);
  }

  handle = async (records: readonly ConsumedRecord[]): Promise<void> => {
    const lines: JournalLine[] = [];
    for (const r of records) {
      const type = r.headers[CE_HEADERS.type] ?? "";
      const eventId = r.headers[CE_HEADERS.id] ?? `${r.topic}:${r.partition}:${r.offset}`;
      let body: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(r.value?.toString("utf8") ?? "{}");
        if (parsed && typeof parsed === "object") body = parsed;
      } catch {
        // An unreadable value still counts for the sequence; it just sends nothing.
      }
      const orderId = r.key?.toString("utf8") ?? r.headers[CE_HEADERS.subject] ?? (typeof body.orderId === "string" ? body.orderId : "");
      const sequence = sequenceOf(r.headers) ?? null;
      if (!this.#accept(orderId, sequence, type, eventId, true)) continue;
      lines.push({ k: "event", orderId, sequence, type, eventId });
      if (!KNOWN_TYPES.has(type) && !type.startsWith("Payment")) this.stats.unknownTypes++;
      const to = typeof body.userId === "string" ? body.userId : "unknown";
      for (const m of messagesFor(type, body)) {
        const sent = this.#message(orderId, sequence, eventId, type, to, m);
        lines.push({ k: "sent", ...sent });
        this.#record(sent);
        this.#hooks.onSent?.(sent);
      }
    }
    if (this.#journal && lines.length > 0) appendFileSync(this.#journal, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  };

  /** Records the event; false when it was handled before (a duplicate). */
  #accept(orderId: string, sequence: number | null, type: string, eventId: string, live: boolean): boolean {
    if (sequence === null) {
      if (this.#seenIds.has(eventId)) return this.#duplicate(live);
      this.#seenIds.add(eventId);
    } else {
      const seen = this.#seen.get(orderId) ?? new Set<number>();
      if (seen.has(sequence)) return this.#duplicate(live);
      seen.add(sequence);
      this.#seen.set(orderId, seen);
      const last = this.#max.get(orderId) ?? 0;
      const check = checkSequence(last, sequence);
      if (check.kind === "gap") {
        const gap: SequenceGap = {
          orderId,
          from: last + 1,
          to: sequence - 1,
          received: sequence,
          detectedAt: this.#now().toISOString(),
          filled: false,
        };
        this.#gaps.push(gap);
        this.stats.gaps++;
        if (live) {
          this.#logger?.warn("sequence gap on orders", { orderId, from: gap.from, to: gap.to, received: sequence, type });
          this.#hooks.onGap?.(gap);
        }
      }
      if (sequence > last) this.#max.set(orderId, sequence);
      else this.#fill(orderId, seen);
    }
    this.stats.events++;
    const trail = this.#trails.get(orderId) ?? { orderId, events: [] };
    trail.events.push({ sequence, type, eventId });
    this.#trails.set(orderId, trail);
    return true;
  }

  #duplicate(live: boolean): false {
    this.stats.duplicates++;
    if (live) this.#hooks.onDuplicate?.();
    return false;
  }

  /** A late number arrived: close the order's gaps whose numbers are all there now. */
  #fill(orderId: string, seen: Set<number>): void {
    for (const g of this.#gaps) {
      if (g.orderId !== orderId || g.filled) continue;
      let all = true;
      for (let n = g.from; n <= g.to && all; n++) all = seen.has(n);
      if (all) g.filled = true;
    }
  }

  #message(orderId: string, sequence: number | null, eventId: string, eventType: string, userId: string, m: Message): SentMessage {
    const to = m.channel === "email" ? `${userId}@customers.example` : `sms:${userId}`;
    return {
      orderId,
      sequence,
      eventId,
      eventType,
      template: m.template,
      channel: m.channel,
      to,
      subject: m.subject,
      sentAt: this.#now().toISOString(),
    };
  }

  #record(m: SentMessage): void {
    this.#sent.push(m);
    this.stats.sent++;
  }

  #load(path: string): void {
    for (const text of readFileSync(path, "utf8").split("\n")) {
      if (text.trim() === "") continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text);
      } catch {
        continue; // a torn last line of a crash: its chunk was not committed and comes again
      }
      if (line.k === "event") this.#accept(line.orderId, line.sequence, line.type, line.eventId, false);
      else if (line.k === "sent") {
        const { k: _, ...m } = line;
        this.#record(m);
      }
    }
    this.stats.duplicates = 0;
  }

  /** The sink: every message sent, optionally of one order, in sending order. */
  sent(orderId?: string): readonly SentMessage[] {
    return orderId ? this.#sent.filter((m) => m.orderId === orderId) : this.#sent;
  }

  gaps(): readonly SequenceGap[] {
    return this.#gaps;
  }

  openGaps(): number {
    return this.#gaps.filter((g) => !g.filled).length;
  }

  trail(orderId: string): OrderTrail | undefined {
    return this.#trails.get(orderId);
  }

  snapshot(): NotificationStats {
    return { ...this.stats, openGaps: this.openGaps() };
  }
}
