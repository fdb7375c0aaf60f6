import type { OrderStatus, PaymentStatus } from "../lifecycle/statuses.ts";
import { compareMoney, type Money } from "../money.ts";
import type { FulfilmentStatus } from "./derived-statuses.ts";

/*
 * The order's lifecycle columns (status, payment_status) drive the saga; the line counters and
 * the ledger are where quantities and money live. The one writer mirrors every lifecycle step
 * onto the counters and the ledger in the same transaction, so the two can never disagree. This
 * is the check that they don't: the end-to-end checker and the fault suite run it on every
 * order, and any disagreement is reported as a `status-drift` violation.
 */

/** Which derived fulfilment statuses each stored order status allows. */
const FULFILMENT_ALLOWED: Readonly<Record<OrderStatus, readonly FulfilmentStatus[]>> = {
  PENDING: ["OPEN", "PARTIALLY_CANCELLED"],
  CONFIRMED: ["OPEN", "PARTIALLY_CANCELLED"],
  SHIPPED: ["SHIPPED"],
  DELIVERED: ["DELIVERED", "RETURN_REQUESTED", "PARTIALLY_RETURNED", "RETURNED"],
  // RETURNED: a refused cash-on-delivery parcel, back through the returns flow (issue 14).
  CANCELLED: ["CANCELLED", "RETURNED"],
};

/** Payment statuses under which the ledger must hold a capture (and only those). */
const CAPTURED_PAYMENT: ReadonlySet<PaymentStatus> = new Set(["SUCCEEDED", "REFUNDED"]);

export interface StoredStatuses {
  readonly status: OrderStatus;
  readonly paymentStatus: PaymentStatus;
}

export interface DerivedFacts {
  readonly fulfilment: FulfilmentStatus;
  /** Sum of the ledger's CAPTURE entries. */
  readonly captured: Money;
}

/** Each way the stored statuses disagree with what the counters and the ledger say; [] when none. */
export function statusDrift(stored: StoredStatuses, derived: DerivedFacts): string[] {
  const out: string[] = [];
  if (!FULFILMENT_ALLOWED[stored.status].includes(derived.fulfilment))
    out.push(`order ${stored.status} but its lines say ${derived.fulfilment}`);
  const hasCapture = compareMoney(derived.captured, "0.00" as Money) > 0;
  if (hasCapture !== CAPTURED_PAYMENT.has(stored.paymentStatus))
    out.push(`payment ${stored.paymentStatus} but the ledger has ${hasCapture ? `a capture of ${derived.captured}` : "no capture"}`);
  return out;
}
