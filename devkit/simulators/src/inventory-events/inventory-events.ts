import { CE_HEADERS, type ConsumedRecord } from "@orders/kafka";
import type { StockStore } from "../inventory/stock-store.ts";
import { answerRecord, type ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import { between, scenarioOf } from "../kafka-side/scenario.ts";

export interface InventoryEventsOptions {
  readonly store: StockStore;
  readonly emitter: ChaosEmitter;
  /** Share of orders refused with InventoryFailure although stock is there. */
  readonly failureRate: number;
  /** Share of orders never answered (exercises the PENDING deadline). */
  readonly silenceRate: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly random?: () => number;
  /**
   * The service's own health (its HTTP fault mode): while `down` no answer leaves (they wait for
   * the service to come back, as a real outage would hold them), `delayMs` is added to each answer.
   */
  readonly health?: () => { readonly down: boolean; readonly delayMs: number };
}

/** Per order, what the Inventory service did with it and the lines it holds (after partial releases; GET /admin/ledger). */
export interface InventoryLedgerEntry {
  readonly orderId: string;
  readonly hold: Hold;
  readonly lines: readonly { readonly productId: string; readonly quantity: number }[];
  /** Units given back by partial cancellations (issue 13). */
  readonly releasedUnits: number;
  /** Returned units put back in stock. */
  readonly restockedUnits: number;
  /** Returned units put back in stock, per product. */
  readonly restocked: readonly { readonly productId: string; readonly quantity: number }[];
}

export type Hold = "reserved" | "failed" | "silent" | "released";

export const INVENTORY_SOURCE = "/simulators/inventory";

/**
 * The Inventory service's Kafka side: OrderCreated → hold stock → InventoryReserved or
 * InventoryFailure; OrderCancelled → give a hold back → InventoryReleased; OrderLinesCancelled →
 * give those units back; ReturnReceived → restock the good units → InventoryRestocked. Idempotent per
 * order: a redelivered OrderCreated re-sends the same answer with the same id.
 */
export class InventoryEvents {
  readonly #o: InventoryEventsOptions;
  readonly #random: () => number;
  readonly #holds = new Map<string, Hold>();
  readonly #lines = new Map<string, readonly { productId: string; quantity: number }[]>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #partial = new Map<string, { released: number; restocked: number }>();
  readonly #restocked = new Map<string, Map<string, number>>();
  stats = { reserved: 0, failed: 0, released: 0, silent: 0, partialReleases: 0, restocks: 0 };

  constructor(options: InventoryEventsOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Records from the `orders` topic (any order, any partition). */
  handle = async (records: readonly ConsumedRecord[]): Promise<void> => {
    for (const r of records) {
      const type = r.headers[CE_HEADERS.type];
      let body: {
        orderId?: string;
        userId?: string;
        items?: { productId: string; quantity: number }[];
        lines?: { productId: string; quantity: number }[];
        restock?: { productId: string; quantity: number }[];
        restockId?: string | null;
      };
      try {
        body = JSON.parse(r.value?.toString("utf8") ?? "{}");
      } catch {
        continue;
      }
      if (!body.orderId) continue;
      if (type === "OrderCreated") this.#onCreated(body.orderId, body.userId, body.items ?? []);
      else if (type === "OrderCancelled") this.#onCancelled(body.orderId);
      else if (type === "OrderLinesCancelled") this.#onLinesCancelled(body.orderId, r.headers[CE_HEADERS.id] ?? "", body.lines ?? []);
      else if (type === "ReturnReceived" && body.restockId) this.#onReturnReceived(body.orderId, body.restockId, body.restock ?? []);
    }
  };

  #later(fn: () => void, delayMs = between(this.#o.minDelayMs, this.#o.maxDelayMs, this.#random)): void {
    const health = this.#o.health?.();
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        // Down: try again shortly; the answer leaves once the service is back.
        if (this.#o.health?.().down) this.#later(fn, 250);
        else fn();
      },
      delayMs + (health?.down ? 0 : (health?.delayMs ?? 0)),
    );
    this.#timers.add(t);
  }

  /** Every order seen, with what was done with it (the fault suite's stock ledger). */
  ledger(): InventoryLedgerEntry[] {
    return [...this.#holds].map(([orderId, hold]) => ({
      orderId,
      hold,
      lines: this.#lines.get(orderId) ?? [],
      releasedUnits: this.#partial.get(orderId)?.released ?? 0,
      restockedUnits: this.#partial.get(orderId)?.restocked ?? 0,
      restocked: [...(this.#restocked.get(orderId) ?? [])].map(([productId, quantity]) => ({ productId, quantity })),
    }));
  }

  #count(orderId: string, field: "released" | "restocked", units: number): void {
    const p = this.#partial.get(orderId) ?? { released: 0, restocked: 0 };
    p[field] += units;
    this.#partial.set(orderId, p);
  }

  /** A partial cancellation: those units go back to stock, once per event id; nothing to answer. */
  #onLinesCancelled(orderId: string, eventId: string, lines: readonly { productId: string; quantity: number }[]): void {
    if (this.#holds.get(orderId) !== "reserved" || eventId === "") return;
    if (this.#o.store.releaseUnits(orderId, eventId, lines)) {
      // The ledger's lines are what the order still holds.
      const held = this.#lines.get(orderId) ?? [];
      this.#lines.set(
        orderId,
        held.map((h) => ({
          ...h,
          quantity: h.quantity - Math.min(h.quantity, lines.find((l) => l.productId === h.productId)?.quantity ?? 0),
        })),
      );
      this.stats.partialReleases++;
      this.#count(
        orderId,
        "released",
        lines.reduce((n, l) => n + l.quantity, 0),
      );
    }
  }

  /** Returned good units back in stock, once per restock id; answered with InventoryRestocked (same id). */
  #onReturnReceived(orderId: string, restockId: string, lines: readonly { productId: string; quantity: number }[]): void {
    if (lines.length === 0) return;
    if (this.#o.store.restock(restockId, lines)) {
      const per = this.#restocked.get(orderId) ?? new Map<string, number>();
      for (const l of lines) per.set(l.productId, (per.get(l.productId) ?? 0) + l.quantity);
      this.#restocked.set(orderId, per);
      this.stats.restocks++;
      this.#count(
        orderId,
        "restocked",
        lines.reduce((n, l) => n + l.quantity, 0),
      );
    }
    this.#later(() =>
      this.#o.emitter.emit(answerRecord(INVENTORY_SOURCE, "InventoryRestocked", `inv:${restockId}`, orderId, { restockId, lines })),
    );
  }

  #onCreated(orderId: string, userId: string | undefined, items: { productId: string; quantity: number }[]): void {
    let hold = this.#holds.get(orderId);
    if (hold === undefined) {
      const scenario = scenarioOf(userId);
      if (scenario === "inv-silent" || (scenario === null && this.#random() < this.#o.silenceRate)) hold = "silent";
      else if (scenario === "inv-fail" || (scenario === null && this.#random() < this.#o.failureRate)) hold = "failed";
      else hold = this.#o.store.reserve(orderId, items).ok ? "reserved" : "failed";
      this.#holds.set(orderId, hold);
      this.#lines.set(
        orderId,
        items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
      );
      this.stats[hold]++;
    }
    const answer = hold;
    if (answer === "silent") return;
    this.#later(() => {
      if (answer === "failed") {
        this.#o.emitter.emit(
          answerRecord(INVENTORY_SOURCE, "InventoryFailure", `inv:${orderId}:failed`, orderId, { reason: "insufficient stock" }),
        );
      } else {
        // "released" too: the reservation did happen, answer it (the consumer handles the order).
        this.#o.emitter.emit(answerRecord(INVENTORY_SOURCE, "InventoryReserved", `inv:${orderId}:reserved`, orderId, {}));
      }
    });
  }

  #onCancelled(orderId: string): void {
    const hold = this.#holds.get(orderId);
    if (hold !== "reserved" && hold !== "released") return;
    if (hold === "reserved") {
      this.#o.store.release(orderId);
      this.#holds.set(orderId, "released");
      this.stats.released++;
    }
    this.#later(() => this.#o.emitter.emit(answerRecord(INVENTORY_SOURCE, "InventoryReleased", `inv:${orderId}:released`, orderId, {})));
  }

  /** Pending answers are dropped (a stopped service does not answer); the emitter flushes the rest. */
  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
