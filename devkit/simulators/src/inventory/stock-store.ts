import type { Product } from "./catalogue.ts";

export interface QuoteLine {
  readonly productId: string;
  readonly quantity: number;
}

export type QuoteResult =
  | { readonly ok: true; readonly lines: readonly (QuoteLine & { unitPrice: string })[] }
  | { readonly ok: false; readonly code: "UNKNOWN_PRODUCT" | "INSUFFICIENT_STOCK"; readonly productIds: readonly string[] };

/**
 * In-memory catalogue and stock. `quote` checks without holding anything (the API's
 * check-and-quote); `reserve`/`release` are for the Kafka side, which holds stock per order
 * once it sees OrderCreated and gives it back on OrderCancelled. Both are idempotent per order.
 */
export class StockStore {
  readonly #products = new Map<string, Product>();
  readonly #reservations = new Map<string, readonly QuoteLine[]>();
  /** Partial releases and restocks already done (their cause / restock id): each happens once. */
  readonly #applied = new Set<string>();

  constructor(products: readonly Product[]) {
    this.reset(products);
  }

  reset(products: readonly Product[]): void {
    this.#products.clear();
    this.#reservations.clear();
    for (const p of products) this.#products.set(p.productId, { ...p });
  }

  list(): Product[] {
    return [...this.#products.values()];
  }

  get(productId: string): Product | undefined {
    return this.#products.get(productId);
  }

  upsert(product: Product): void {
    this.#products.set(product.productId, { ...product });
  }

  quote(lines: readonly QuoteLine[]): QuoteResult {
    const unknown = lines.filter((l) => !this.#products.has(l.productId)).map((l) => l.productId);
    if (unknown.length > 0) return { ok: false, code: "UNKNOWN_PRODUCT", productIds: unknown };
    const short = lines.filter((l) => (this.#products.get(l.productId)?.stock ?? 0) < l.quantity).map((l) => l.productId);
    if (short.length > 0) return { ok: false, code: "INSUFFICIENT_STOCK", productIds: short };
    return { ok: true, lines: lines.map((l) => ({ ...l, unitPrice: this.#products.get(l.productId)?.price ?? "0" })) };
  }

  /** Holds stock for an order; a second call for the same order changes nothing. */
  reserve(orderId: string, lines: readonly QuoteLine[]): QuoteResult {
    if (this.#reservations.has(orderId)) return this.quoteReserved(orderId);
    const result = this.quote(lines);
    if (!result.ok) return result;
    for (const l of lines) this.#adjust(l.productId, -l.quantity);
    this.#reservations.set(orderId, lines);
    return result;
  }

  /** Gives an order's stock back; false when nothing was held for it. */
  release(orderId: string): boolean {
    const lines = this.#reservations.get(orderId);
    if (!lines) return false;
    for (const l of lines) this.#adjust(l.productId, l.quantity);
    this.#reservations.delete(orderId);
    return true;
  }

  /**
   * Gives some units of an order's hold back (a partial cancellation), once per `cause`; the rest
   * stays held for `release`. Returns false for a repeated cause or no hold.
   */
  releaseUnits(orderId: string, cause: string, lines: readonly { productId: string; quantity: number }[]): boolean {
    const held = this.#reservations.get(orderId);
    if (!held || this.#applied.has(cause)) return false;
    this.#applied.add(cause);
    const left = held.map((h) => {
      const give = Math.min(h.quantity, lines.find((l) => l.productId === h.productId)?.quantity ?? 0);
      if (give > 0) this.#adjust(h.productId, give);
      return { ...h, quantity: h.quantity - give };
    });
    this.#reservations.set(
      orderId,
      left.filter((l) => l.quantity > 0),
    );
    return true;
  }

  /** Puts returned units back in stock, once per restock id; false for a repeated id. */
  restock(restockId: string, lines: readonly { productId: string; quantity: number }[]): boolean {
    if (this.#applied.has(restockId)) return false;
    this.#applied.add(restockId);
    for (const l of lines) this.#adjust(l.productId, l.quantity);
    return true;
  }

  private quoteReserved(orderId: string): QuoteResult {
    const lines = this.#reservations.get(orderId) ?? [];
    return { ok: true, lines: lines.map((l) => ({ ...l, unitPrice: this.#products.get(l.productId)?.price ?? "0" })) };
  }

  #adjust(productId: string, delta: number): void {
    const p = this.#products.get(productId);
    if (p) this.#products.set(productId, { ...p, stock: p.stock + delta });
  }
}
