import { inSpan, SpanKind } from "@orders/runtime";

/**
 * Runs a saga job inside a span continuing the trace its data carries (`traceparent`, put there
 * by the transaction that queued it): the PaymentInitiator's call to the payment service, and so
 * the payment's answer, stay on the order's trace. Jobs without one run as they are.
 */
export function inJobSpan<T>(
  queue: string,
  data: { readonly traceparent?: unknown; readonly orderId?: unknown },
  fn: () => Promise<T>,
): Promise<T> {
  if (typeof data.traceparent !== "string") return fn();
  return inSpan(
    `process ${queue}`,
    {
      kind: SpanKind.CONSUMER,
      parent: { traceparent: data.traceparent },
      attributes: {
        "messaging.system": "pg-boss",
        "messaging.destination.name": queue,
        ...(typeof data.orderId === "string" ? { "order_service.order_id": data.orderId } : {}),
      },
    },
    fn,
  );
}
