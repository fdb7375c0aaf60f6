import { activityCounters, type Pool } from "@orders/db";
import { type CheckReport, checkSystem } from "./checker.ts";
import type { InventoryLedger, PaymentLedgerEntry } from "./money-check.ts";
import type { Stack } from "./stack.ts";

export type LedgerEntry = PaymentLedgerEntry;

/** The payment simulator's per-order ledger (what it captured and refunded). */
export async function fetchPaymentLedger(paymentUrl: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${paymentUrl}/admin/ledger`);
  if (!res.ok) throw new Error(`GET ${paymentUrl}/admin/ledger → ${res.status}`);
  return (await res.json()) as LedgerEntry[];
}

/** The inventory simulator's stock ledger: every order's hold and lines, per product initial and current stock. */
export async function fetchInventoryLedger(inventoryUrl: string): Promise<InventoryLedger> {
  const res = await fetch(`${inventoryUrl}/admin/ledger`);
  if (!res.ok) throw new Error(`GET ${inventoryUrl}/admin/ledger → ${res.status}`);
  return (await res.json()) as InventoryLedger;
}

/**
 * Runs the checker against a running stack: its database, topics, payment ledger and outbox mode.
 * `money: true` also reads the inventory ledger and checks the money and stock invariants, and
 * counts every dead letter as a violation (a fault run sends no invalid record).
 */
export async function checkStack(stack: Stack, placedIds: readonly string[], options: { money?: boolean } = {}): Promise<CheckReport> {
  return checkSystem({
    pool: stack.pool,
    kafka: stack.kafka,
    topics: stack.topics,
    consumerGroup: stack.consumerGroup,
    placedIds,
    paymentLedger: await fetchPaymentLedger(stack.paymentUrl),
    outboxMode: stack.outboxMode,
    ...(options.money ? { inventoryLedger: await fetchInventoryLedger(stack.inventoryUrl), deadLettersAreViolations: true } : {}),
  });
}

/**
 * Waits until nothing has been applied or written to the outbox for `quietMs` (late chaos
 * duplicates drained, the last events out), or `timeoutMs` passes.
 */
export async function waitUntilQuiet(pool: Pool, quietMs = 3_000, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  let last = "";
  while (Date.now() - quietSince < quietMs && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await activityCounters(pool);
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
  }
}
