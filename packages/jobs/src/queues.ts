import type { FollowUp } from "@orders/domain";

/** pg-boss queues of the saga (created at start-up by every process that sends or works them). */
export const QUEUES = {
  initiatePayment: "payment-initiate",
  refundPayment: "payment-refund",
  pendingDeadline: "pending-deadline",
  reconcilePayments: "payment-reconcile",
} as const;

export interface InitiatePaymentJob {
  readonly orderId: string;
  readonly attempt: number;
  readonly causedBy: string;
}

export interface RefundPaymentJob {
  readonly orderId: string;
  readonly causedBy: string;
}

/** The queue a follow-up goes to and the job data it carries. */
export function jobFor(
  orderId: string,
  followUp: FollowUp,
  causedBy: string,
): { queue: string; data: InitiatePaymentJob | RefundPaymentJob } {
  switch (followUp.type) {
    case "InitiatePayment":
      return { queue: QUEUES.initiatePayment, data: { orderId, attempt: followUp.attempt, causedBy } };
    case "RefundPayment":
      return { queue: QUEUES.refundPayment, data: { orderId, causedBy } };
  }
}
