-- Reconciliation reads refund requests by age (packages/db selectOutstandingRefunds): keep that
-- read off a full scan of the ledger.
CREATE INDEX order_ledger_refund_requested_at_idx ON order_ledger (at) WHERE kind = 'REFUND_REQUESTED';
