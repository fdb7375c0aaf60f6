import { Hono } from "hono";
import * as v from "valibot";
import { DEFAULT_CATALOGUE, DEFAULT_CURRENCY, type Product } from "./catalogue.ts";
import { FAULT_MODES, FaultInjector } from "./faults.ts";
import { StockStore } from "./stock-store.ts";

const ID = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{1,64}$/));
const PRICE = v.pipe(v.string(), v.regex(/^(0|[1-9]\d{0,11})(\.\d{1,2})?$/));

export const QuoteRequestSchema = v.strictObject({
  items: v.pipe(
    v.array(v.strictObject({ productId: ID, quantity: v.pipe(v.number(), v.integer(), v.minValue(1)) })),
    v.minLength(1),
    v.maxLength(1000),
  ),
});

const FaultPatchSchema = v.strictObject({
  mode: v.optional(v.picklist(FAULT_MODES)),
  failureRate: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  latencyMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000))),
  latencyMaxMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000))),
  flapEvery: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

const ProductSchema = v.strictObject({
  productId: ID,
  name: v.string(),
  price: PRICE,
  stock: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

export interface InventoryAppOptions {
  readonly catalogue?: readonly Product[];
  readonly currency?: string;
  readonly faults?: FaultInjector;
  readonly store?: StockStore;
}

export interface InventoryApp {
  readonly app: Hono;
  readonly store: StockStore;
  readonly faults: FaultInjector;
  /** Business requests served (quotes and catalogue reads), for tests counting calls. */
  readonly stats: { quotes: number };
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * The Inventory service's HTTP face: catalogue, check-and-quote, and an admin surface to
 * change stock and inject faults at runtime.
 *   GET  /products, GET /products/:id
 *   POST /quotes {items:[{productId, quantity}]} → 200 {currency, lines:[{productId, quantity, unitPrice}]}
 *        | 422 {code: UNKNOWN_PRODUCT | INSUFFICIENT_STOCK, productIds}
 *   GET|POST /admin/faults, PUT /admin/products/:id, POST /admin/reset, GET /healthz
 */
export function createInventoryApp(options: InventoryAppOptions = {}): InventoryApp {
  const catalogue = options.catalogue ?? DEFAULT_CATALOGUE;
  const currency = options.currency ?? DEFAULT_CURRENCY;
  const store = options.store ?? new StockStore(catalogue);
  const faults = options.faults ?? new FaultInjector();
  const stats = { quotes: 0 };
  const app = new Hono();

  const bad = (issues: unknown) => ({ code: "BAD_REQUEST", issues });

  // Faults apply to the business endpoints only; admin and health always answer.
  const business = new Hono();
  business.use(async (c, next) => {
    const verdict = faults.next();
    await sleep(verdict.delayMs);
    if (verdict.fail) return c.json({ code: "UNAVAILABLE", message: "simulated outage" }, 503);
    await next();
  });
  business.get("/products", (c) => c.json({ currency, products: store.list() }));
  business.get("/products/:id", (c) => {
    const p = store.get(c.req.param("id"));
    return p ? c.json({ currency, ...p }) : c.json({ code: "UNKNOWN_PRODUCT", productIds: [c.req.param("id")] }, 404);
  });
  business.post("/quotes", async (c) => {
    stats.quotes++;
    const body = await c.req.json().catch(() => undefined);
    const parsed = v.safeParse(QuoteRequestSchema, body);
    if (!parsed.success) return c.json(bad(v.flatten(parsed.issues)), 400);
    const result = store.quote(parsed.output.items);
    if (!result.ok) return c.json({ code: result.code, productIds: result.productIds }, 422);
    return c.json({ currency, lines: result.lines });
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/admin/faults", (c) => c.json(faults.settings));
  app.post("/admin/faults", async (c) => {
    const parsed = v.safeParse(FaultPatchSchema, await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(bad(v.flatten(parsed.issues)), 400);
    return c.json(faults.update(parsed.output));
  });
  app.put("/admin/products/:id", async (c) => {
    const parsed = v.safeParse(ProductSchema, { ...(await c.req.json().catch(() => ({}))), productId: c.req.param("id") });
    if (!parsed.success) return c.json(bad(v.flatten(parsed.issues)), 400);
    store.upsert(parsed.output);
    return c.json(parsed.output);
  });
  app.post("/admin/reset", (c) => {
    store.reset(catalogue);
    faults.update({ mode: "up", failureRate: 0, latencyMs: 0, latencyMaxMs: 0, flapEvery: 1 });
    stats.quotes = 0;
    return c.body(null, 204);
  });
  app.route("/", business);
  return { app, store, faults, stats };
}
