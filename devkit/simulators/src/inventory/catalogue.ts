/**
 * The simulated Inventory service's product catalogue: prices are decimal strings (never JS
 * floats), stock is a whole number. The default set is small and stable so tests, the demo
 * and benchmarks can name products without configuration.
 */
export interface Product {
  readonly productId: string;
  readonly name: string;
  readonly price: string;
  readonly stock: number;
}

export const DEFAULT_CURRENCY = "INR";

export const DEFAULT_CATALOGUE: readonly Product[] = [
  { productId: "abc", name: "Notebook", price: "49.99", stock: 1_000_000 },
  { productId: "sku-1", name: "Pen", price: "12.50", stock: 1_000_000 },
  { productId: "sku-2", name: "Ink bottle", price: "7.05", stock: 1_000_000 },
  { productId: "sku-3", name: "Desk lamp", price: "1299.00", stock: 1_000_000 },
  { productId: "sku-4", name: "Stapler", price: "0.10", stock: 1_000_000 },
  { productId: "limited", name: "Limited edition print", price: "999.99", stock: 3 },
  { productId: "sold-out", name: "Sold-out poster", price: "15.00", stock: 0 },
];
