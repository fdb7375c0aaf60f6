/**
 * What a customer is told about an order, by record on `orders` (issue 15). Pure: the record's
 * `ce_type` and JSON value in, the messages out — none for a record no customer hears about (a
 * reservation, a retry, a partial line cancel …). Unknown types send nothing: later issues add
 * events (payment attempts, issue 14) and the notification service must not crash on them.
 */
export type Channel = "email" | "sms";
export type Template =
  | "order-confirmed"
  | "order-shipped"
  | "order-delivered"
  | "order-cancelled"
  | "refund-issued"
  | "payment-action-required";

export interface Message {
  readonly template: Template;
  readonly channel: Channel;
  readonly subject: string;
}

type Body = Record<string, unknown>;
const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);

const both = (template: Template, subject: string): Message[] => [
  { template, channel: "email", subject },
  { template, channel: "sms", subject },
];
const email = (template: Template, subject: string): Message[] => [{ template, channel: "email", subject }];

/**
 * Event types that mean "the customer must act on the payment" (issue 14's PaymentActionRequired).
 * Not the OrderStatusChanged of the same step (paymentStatus ACTION_REQUIRED): one message per step.
 */
const ACTION_REQUIRED_TYPES = new Set(["PaymentActionRequired", "PaymentAttemptActionRequired"]);

export function messagesFor(type: string, body: Body): Message[] {
  const id = str(body.orderId) ?? "?";
  switch (type) {
    case "OrderConfirmed":
      return email("order-confirmed", `Your order ${id} is confirmed`);
    case "OrderCancelled":
      return email("order-cancelled", `Your order ${id} was cancelled${body.refund === true ? "; your payment will be refunded" : ""}`);
    case "RefundSettled":
      return email("refund-issued", `A refund of ${str(body.amount) ?? "?"} ${str(body.currency) ?? ""} for order ${id} was issued`.trim());
    case "OrderStatusChanged":
      return statusMessages(id, body);
    default:
      if (ACTION_REQUIRED_TYPES.has(type)) return both("payment-action-required", `Your payment for order ${id} needs your action`);
      return [];
  }
}

function statusMessages(id: string, body: Body): Message[] {
  const status = str(body.status);
  const previous = str(body.previousStatus);
  if (status === "SHIPPED" && previous !== "SHIPPED") return both("order-shipped", `Your order ${id} has shipped`);
  if (status === "DELIVERED" && previous !== "DELIVERED") return both("order-delivered", `Your order ${id} was delivered`);
  // The whole refund of a cancelled order settles as a lifecycle step (partial ones are RefundSettled).
  if (str(body.cause) === "PaymentRefunded" && str(body.paymentStatus) === "REFUNDED")
    return email("refund-issued", `The payment for order ${id} was refunded`);
  return [];
}
