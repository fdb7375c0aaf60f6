import { CreateOrderRequestSchema, MAX_ITEMS, ORDER_STATUSES } from "@orders/domain";
import {
  CancellationRequestSchema,
  CursorSchema,
  HealthSchema,
  IdempotencyKeySchema,
  OrderIdParamSchema,
  OrderLinesViewSchema,
  OrderPageSchema,
  OrderSchema,
  OrderSummarySchema,
  PaymentAttemptRequestSchema,
  ProblemSchema,
  ReceiptRequestSchema,
  ReturnIdParamSchema,
  ReturnListSchema,
  ReturnRequestSchema,
  ReturnViewSchema,
  TimelineSchema,
  UserIdParamSchema,
} from "../schemas.ts";
import { schemaOf } from "./json-schema.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });
const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
  ...(headers ? { headers } : {}),
});
const retryAfter = { "Retry-After": { description: "seconds to wait before retrying", schema: { type: "string", pattern: "^[0-9]+$" } } };
const rateLimitHeaders = {
  RateLimit: { description: "the tightest policy's remaining quota and seconds to its reset (IETF draft)", schema: { type: "string" } },
  "RateLimit-Policy": { description: "the quota policies applied to this request (IETF draft)", schema: { type: "string" } },
};
const tooMany = { "429": problem("rate limit exceeded; retry after `Retry-After` seconds", { ...retryAfter, ...rateLimitHeaders }) };
const authFailures = {
  "401": problem("missing or invalid bearer token", {
    "WWW-Authenticate": { description: "Bearer challenge", schema: { type: "string" } },
  }),
};
const common = {
  "400": problem("invalid input; `errors` names each bad field"),
  ...authFailures,
  "500": problem("unexpected failure (no internals revealed)"),
  ...tooMany,
  "503": problem("a dependency is unavailable", retryAfter),
};

/** The seed's own example (DESIGN §4), shown by the docs page and pre-filled by its try-it-out. */
const CREATE_ORDER_EXAMPLE = {
  userId: "123",
  items: [{ productId: "abc", quantity: 2 }],
  shippingAddress: "Bhubaneswar",
  paymentMethod: "card",
};

const limitParam = {
  name: "limit",
  in: "query",
  required: false,
  description: "page size, 1–100 (default 20)",
  schema: { type: "string", pattern: "^[0-9]{1,3}$" },
};
const cursorParam = {
  name: "cursor",
  in: "query",
  required: false,
  description: "nextCursor of the previous page",
  schema: schemaOf(CursorSchema),
};
const orderIdParam = { name: "id", in: "path", required: true, schema: schemaOf(OrderIdParamSchema, { format: "uuid" }) };
const returnIdParam = { name: "returnId", in: "path", required: true, schema: schemaOf(ReturnIdParamSchema, { format: "uuid" }) };
const idempotencyKeyParam = {
  name: "Idempotency-Key",
  in: "header",
  required: true,
  description: "1–255 printable ASCII characters, scoped per user, kept at least 24 h",
  schema: schemaOf(IdempotencyKeySchema),
};
const replayedHeader = { "Idempotent-Replayed": { description: "`true` on a replay", schema: { type: "string", enum: ["true"] } } };
const adjustmentFailures = {
  "404": problem("order (or return) not found or not yours"),
  "409": problem(
    "the order's status does not allow it (not cancellable, not confirmed yet, not delivered, return window closed), or the key is still in flight",
  ),
  "413": problem("body too large"),
  "415": problem("body is not application/json"),
  "422": problem("unknown line, more units than available, or the key reused with a different body"),
};

const pageResponses = { "200": { description: "one page, newest first", content: json(ref("OrderPage")) }, ...common };

/**
 * The OpenAPI 3.1 document of the API, generated from the valibot schemas that validate the
 * requests and describe the responses (src/schemas.ts and @orders/domain).
 */
export function buildOpenApiDocument(options: { serverUrl?: string } = {}): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Order Service API",
      version: "1.0.0",
      description:
        "Orders with idempotent creation, owner/admin access and a transactional outbox. Errors are RFC 9457 application/problem+json.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    paths: {
      "/api/orders": {
        post: {
          operationId: "createOrder",
          summary: "Create an order (prices come from the Inventory service's quote)",
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: true,
              description: "1–255 printable ASCII characters, scoped per user, kept at least 24 h",
              schema: schemaOf(IdempotencyKeySchema),
              example: "3f0c9a52-7d1e-4b8a-9c61-5e2f0b7d4a10",
            },
            { name: "traceparent", in: "header", required: false, schema: { type: "string" } },
          ],
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("CreateOrderRequest"), example: CREATE_ORDER_EXAMPLE } },
          },
          responses: {
            "201": {
              description: "created (or replayed: same key and body)",
              headers: {
                Location: { required: true, schema: { type: "string" } },
                "Idempotent-Replayed": { description: "`true` on a replay", schema: { type: "string", enum: ["true"] } },
              },
              content: json(ref("Order")),
            },
            ...common,
            "403": problem("userId is not the authenticated user"),
            "409": problem("a request with this key is still running", retryAfter),
            "413": problem("body too large"),
            "415": problem("body is not application/json"),
            "422": problem("key reused with a different body, unknown product or not enough stock"),
          },
        },
        get: {
          operationId: "listOrders",
          summary: "All users' orders (admin)",
          parameters: [
            limitParam,
            cursorParam,
            { name: "status", in: "query", required: false, schema: { type: "string", enum: [...ORDER_STATUSES] } },
            { name: "userId", in: "query", required: false, schema: schemaOf(UserIdParamSchema) },
          ],
          responses: { ...pageResponses, "403": problem("not an admin") },
        },
      },
      "/api/orders/{id}": {
        get: {
          operationId: "getOrder",
          summary: "One order with items, statuses and timeline (owner or admin)",
          parameters: [orderIdParam],
          responses: {
            "200": { description: "the order", content: json(ref("Order")) },
            ...common,
            "404": problem("not found or not yours"),
          },
        },
      },
      "/api/orders/user/{userId}": {
        get: {
          operationId: "listUserOrders",
          summary: "A user's orders, newest first (that user or admin)",
          parameters: [{ name: "userId", in: "path", required: true, schema: schemaOf(UserIdParamSchema) }, limitParam, cursorParam],
          responses: { ...pageResponses, "403": problem("another user's history") },
        },
      },
      "/api/orders/{id}/timeline": {
        get: {
          operationId: "getOrderTimeline",
          summary:
            "The order's events in order (issue 15): customer-facing entries for the owner, every event for an admin; from the read model, or the write side's timeline (X-Read-Source)",
          parameters: [
            orderIdParam,
            {
              name: "X-Min-Version",
              in: "header",
              required: false,
              description: "wait (bounded) until the read model holds this version of the order, else answer from the write side",
              schema: { type: "string", pattern: "^[0-9]{1,10}$" },
            },
          ],
          responses: {
            "200": {
              description: "the timeline",
              headers: { "X-Read-Source": { schema: { type: "string", enum: ["read-model", "write-side"] } } },
              content: json(ref("Timeline")),
            },
            ...common,
            "404": problem("not found or not yours"),
          },
        },
      },
      "/api/orders/{id}/cancel": {
        post: {
          operationId: "cancelOrder",
          summary: "Cancel a PENDING or CONFIRMED order (owner or admin)",
          parameters: [orderIdParam],
          responses: {
            "200": { description: "the order, now CANCELLED", content: json(ref("Order")) },
            ...common,
            "404": problem("not found or not yours"),
            "409": problem("not cancellable in its status"),
            "413": problem("body too large"),
          },
        },
      },
      "/api/orders/{id}/cancellations": {
        post: {
          operationId: "cancelOrderLines",
          summary: "Cancel units of some lines before shipment (owner or admin); every remaining unit cancels the order",
          parameters: [orderIdParam, idempotencyKeyParam],
          requestBody: { required: true, content: json(ref("CancellationRequest")) },
          responses: {
            "200": {
              description: "the order's lines and money after the cancellation",
              headers: replayedHeader,
              content: json(ref("OrderLines")),
            },
            ...common,
            ...adjustmentFailures,
          },
        },
      },
      "/api/orders/{id}/payment-attempts": {
        post: {
          operationId: "startPaymentAttempt",
          summary:
            "Start another payment attempt after a decline, with a method of the customer's choice (owner or admin; issue 14). Only while the payment is ACTION_REQUIRED, before its deadline.",
          parameters: [orderIdParam, idempotencyKeyParam],
          requestBody: { required: true, content: json(ref("PaymentAttemptRequest")) },
          responses: {
            "202": {
              description: "attempt started (its result arrives asynchronously); the order with its attempts",
              headers: { Location: { required: true, schema: { type: "string" } }, ...replayedHeader },
              content: json(ref("Order")),
            },
            ...common,
            "404": problem("not found or not yours"),
            "409": problem(
              "no payment action required (NO_ACTION_REQUIRED: paid, pending, cancelled …), no attempts left (ATTEMPTS_EXHAUSTED), or the same key still running",
            ),
            "413": problem("body too large"),
            "415": problem("body is not application/json"),
            "422": problem("key reused with a different body"),
          },
        },
      },
      "/api/orders/{id}/lines": {
        get: {
          operationId: "getOrderLines",
          summary: "Line quantities and the money ledger's sums with derived statuses (owner or admin)",
          parameters: [orderIdParam],
          responses: {
            "200": { description: "lines and money", content: json(ref("OrderLines")) },
            ...common,
            "404": problem("not found or not yours"),
          },
        },
      },
      "/api/orders/{id}/returns": {
        post: {
          operationId: "requestReturn",
          summary: "Request a return of delivered units within the return window (owner or admin)",
          parameters: [orderIdParam, idempotencyKeyParam],
          requestBody: { required: true, content: json(ref("ReturnRequest")) },
          responses: {
            "201": {
              description: "the return",
              headers: { Location: { required: true, schema: { type: "string" } }, ...replayedHeader },
              content: json(ref("Return")),
            },
            ...common,
            ...adjustmentFailures,
          },
        },
        get: {
          operationId: "listReturns",
          summary: "The order's returns (owner or admin)",
          parameters: [orderIdParam],
          responses: {
            "200": { description: "returns, oldest first", content: json(ref("ReturnList")) },
            ...common,
            "404": problem("not found or not yours"),
          },
        },
      },
      "/api/orders/{id}/returns/{returnId}": {
        get: {
          operationId: "getReturn",
          summary: "One return with its lines and refunds (owner or admin)",
          parameters: [orderIdParam, returnIdParam],
          responses: {
            "200": { description: "the return", content: json(ref("Return")) },
            ...common,
            "404": problem("not found or not yours"),
          },
        },
      },
      "/api/orders/{id}/returns/{returnId}/receipts": {
        post: {
          operationId: "recordReturnReceipt",
          summary: "Record what arrived per line: received (restocked) vs damaged (admin: the warehouse)",
          parameters: [orderIdParam, returnIdParam, idempotencyKeyParam],
          requestBody: { required: true, content: json(ref("ReceiptRequest")) },
          responses: {
            "200": { description: "the return after the receipt", headers: replayedHeader, content: json(ref("Return")) },
            ...common,
            "403": problem("not an admin"),
            ...adjustmentFailures,
          },
        },
      },
      "/healthz": {
        get: { operationId: "healthz", security: [], responses: { "200": { description: "alive", content: json(ref("Health")) } } },
      },
      "/readyz": {
        get: {
          operationId: "readyz",
          security: [],
          responses: {
            "200": { description: "ready", content: json(ref("Health")) },
            "503": { description: "not ready", content: json(ref("Health")) },
          },
        },
      },
      "/metrics": {
        get: {
          operationId: "metrics",
          security: [],
          responses: { "200": { description: "Prometheus text format", content: { "text/plain": { schema: { type: "string" } } } } },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "openapi",
          security: [],
          responses: { "200": { description: "this document", content: json({ type: "object" }) }, ...tooMany },
        },
      },
      "/docs": {
        get: {
          operationId: "docs",
          security: [],
          responses: {
            "200": { description: "HTML page (Swagger UI)", content: { "text/html": { schema: { type: "string" } } } },
            ...tooMany,
          },
        },
      },
    },
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: {
        CreateOrderRequest: schemaOf(CreateOrderRequestSchema, {
          description: `1–${MAX_ITEMS} items with distinct productIds; unknown fields are rejected`,
        }),
        Order: schemaOf(OrderSchema),
        OrderSummary: schemaOf(OrderSummarySchema),
        OrderPage: schemaOf(OrderPageSchema),
        Problem: schemaOf(ProblemSchema),
        Health: schemaOf(HealthSchema),
        CancellationRequest: schemaOf(CancellationRequestSchema),
        PaymentAttemptRequest: schemaOf(PaymentAttemptRequestSchema, {
          description: "cash on delivery is chosen at order time only",
        }),
        ReturnRequest: schemaOf(ReturnRequestSchema),
        ReceiptRequest: schemaOf(ReceiptRequestSchema),
        OrderLines: schemaOf(OrderLinesViewSchema),
        Return: schemaOf(ReturnViewSchema),
        ReturnList: schemaOf(ReturnListSchema),
        Timeline: schemaOf(TimelineSchema),
      },
    },
  };
}
