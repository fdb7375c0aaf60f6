-- The SQL work of one POST /api/orders (apps/api/src/services/create-order.ts), 3 items:
-- the key claim (its own autocommit statement), then ONE transaction: order, items, history,
-- outbox, the detail read that becomes the response, and the key marked COMPLETED.
SELECT uuidv7() AS oid, gen_random_uuid()::text AS k, gen_random_uuid() AS lt \gset
INSERT INTO idempotency_keys (user_id, key, request_fingerprint, state, lease_token, locked_until, expires_at)
  VALUES ('pgbench', :k, 'fingerprint', 'IN_FLIGHT', :lt, now() + interval '30 s', now() + interval '24 h')
  ON CONFLICT (user_id, key) DO NOTHING RETURNING lease_token;
BEGIN;
INSERT INTO orders (id, user_id, total_amount, currency, shipping_address, payment_method, created_at, updated_at)
  VALUES (:oid, 'pgbench', '69.55', 'INR', 'Bhubaneswar', 'card', now(), now());
INSERT INTO order_items (id, order_id, product_id, quantity, price)
  SELECT id, :oid, product_id, quantity, price
    FROM unnest(ARRAY[uuidv7(), uuidv7(), uuidv7()], ARRAY['abc','sku-1','sku-2'], ARRAY[1,1,1], ARRAY[49.99,12.50,7.05]::numeric[])
      AS t(id, product_id, quantity, price);
INSERT INTO order_status_history (order_id, status, reason, caused_by) VALUES (:oid, 'PENDING', 'order placed', 'request-pgbench');
INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, ce_source, ce_time)
  VALUES (uuidv7(), 'Order', :oid::text, 'OrderCreated',
          json_build_object('orderId', :oid::text, 'userId', 'pgbench', 'items', json_build_array(
              json_build_object('productId', 'abc', 'quantity', 1, 'unitPrice', '49.99'),
              json_build_object('productId', 'sku-1', 'quantity', 1, 'unitPrice', '12.50'),
              json_build_object('productId', 'sku-2', 'quantity', 1, 'unitPrice', '7.05')),
            'totalAmount', '69.55', 'currency', 'INR', 'shippingAddress', 'Bhubaneswar', 'paymentMethod', 'card', 'createdAt', now()::text),
          '/order-service/api', now()::text);
SELECT o.id, o.status, o.total_amount::text,
  COALESCE((SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPrice', i.price::text,
           'lineTotal', (i.price * i.quantity)::numeric(14,2)::text) ORDER BY i.product_id) FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
  COALESCE((SELECT json_agg(json_build_object('status', h.status, 'reason', h.reason, 'causedBy', h.caused_by, 'at', h.at) ORDER BY h.id)
            FROM order_status_history h WHERE h.order_id = o.id), '[]') AS timeline
  FROM orders o WHERE o.id = :oid;
UPDATE idempotency_keys SET state = 'COMPLETED', response_status = 201, response_headers = '{}', response_body = 'x', order_id = :oid,
       lease_token = NULL, locked_until = NULL
 WHERE user_id = 'pgbench' AND key = :k AND lease_token = :lt AND state = 'IN_FLIGHT';
COMMIT;
