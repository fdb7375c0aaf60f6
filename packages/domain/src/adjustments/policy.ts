/**
 * The refund and return policy as data (docs/lifecycle.md, "Returns and refunds"). The consumer
 * and the API read it from configuration; decisions only ever see this object. What is not
 * configurable: a cancelled unit's share of a captured payment is always refunded (money
 * invariant 1 of docs/lifecycle.md).
 */
export interface RefundPolicy {
  /** A return may be requested up to this long after delivery. */
  readonly returnWindowMs: number;
  /** Refund units that arrive damaged (otherwise only good units are refunded). */
  readonly refundDamaged: boolean;
}

export const DEFAULT_REFUND_POLICY: RefundPolicy = Object.freeze({
  returnWindowMs: 30 * 24 * 60 * 60 * 1000,
  refundDamaged: false,
});
