import type { Query } from "./query.ts";

export interface HistoryRow {
  readonly orderId: string;
  readonly status: string;
  readonly reason: string;
  readonly causedBy: string;
}

export const insertHistory = (h: HistoryRow): Query => ({
  name: "history.insert",
  text: "INSERT INTO order_status_history (order_id, status, reason, caused_by) VALUES ($1, $2, $3, $4)",
  values: [h.orderId, h.status, h.reason, h.causedBy],
});
