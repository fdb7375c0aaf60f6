import { createOrder, type Pool } from "@orders/db";
import { type NewOrder, parseMoney, uuidv7 } from "@orders/domain";

/**
 * Places one order the way the API does (order, items, first timeline row, OrderCreated); returns
 * its id (a new one unless `overrides.id` names it).
 */
export async function placeOrder(pool: Pool, overrides: Partial<NewOrder> = {}): Promise<string> {
  const order: NewOrder = {
    id: uuidv7(),
    userId: "u-1",
    items: [{ productId: "abc", quantity: 1, unitPrice: parseMoney("10.00") }],
    currency: "INR",
    shippingAddress: "Bhubaneswar",
    paymentMethod: "card",
    createdAt: new Date(),
    ...overrides,
  };
  await createOrder(pool, order, { source: "/test", causedBy: "test" });
  return order.id;
}

/** `n` orders of `userId`, one after another (ids in creation order). */
export async function placeOrders(pool: Pool, n: number, userId = "u-1"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await placeOrder(pool, { userId }));
  return ids;
}
