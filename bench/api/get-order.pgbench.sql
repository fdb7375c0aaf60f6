-- The SQL of one GET /api/orders/{id}: the detail query (packages/db/src/sql/orders.ts) on a random existing order.
\set n random(1, 2000)
SELECT o.id, o.user_id, o.status, o.total_amount::text,
  COALESCE((SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPrice', i.price::text,
           'lineTotal', (i.price * i.quantity)::numeric(14,2)::text) ORDER BY i.product_id) FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
  COALESCE((SELECT json_agg(json_build_object('status', h.status, 'reason', h.reason, 'causedBy', h.caused_by, 'at', h.at) ORDER BY h.id)
            FROM order_status_history h WHERE h.order_id = o.id), '[]') AS timeline
  FROM orders o WHERE o.id = (SELECT id FROM bench_ids WHERE n = :n);
