import { getOrderDetail, listOrders, type Pool } from "@orders/db";

type OrderDetail = NonNullable<Awaited<ReturnType<typeof getOrderDetail>>>;
type OrderPage = Awaited<ReturnType<typeof listOrders>>;
type ListFilter = Parameters<typeof listOrders>[1];

/**
 * Where the reads that tolerate replica lag go (issue 17, docs/scaling.md): an order's detail and
 * a customer's order list are read from the streaming replica (DATABASE_READ_URL) when there is
 * one, else from the primary. A reader who asks for its own write (`X-Min-Version`, docs/api.md)
 * reads the primary, and an order the replica does not have yet (created a moment ago) is looked
 * up on the primary before answering 404.
 */
export interface OrderReads {
  /** The replica's pool, or null when every read goes to the primary. */
  readonly replica: Pool | null;
  detail(orderId: string, options?: { fresh?: boolean }): Promise<OrderDetail | null>;
  list(filter: ListFilter, options?: { fresh?: boolean }): Promise<OrderPage>;
}

export function orderReads(primary: Pool, replica: Pool | null): OrderReads {
  const source = (fresh: boolean | undefined) => (replica && !fresh ? replica : primary);
  return {
    replica,
    detail: async (orderId, options = {}) => {
      const pool = source(options.fresh);
      const found = await getOrderDetail(pool, orderId);
      return found ?? (pool === primary ? null : getOrderDetail(primary, orderId));
    },
    list: (filter, options = {}) => listOrders(source(options.fresh), filter),
  };
}
