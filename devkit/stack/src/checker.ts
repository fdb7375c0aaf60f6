import {
  auditLines,
  auditOrders,
  countUnpublishedOf,
  ledgerSums,
  orderTimelines,
  outboxIdsOf,
  type Pool,
  processedMessageIds,
  settledProgress,
} from "@orders/db";
import { fulfilmentStatus, type Money, ORDER_TRANSITIONS, type OrderStatus, type PaymentStatus, statusDrift } from "@orders/domain";
import { DLQ_HEADERS, deadLetterTopic, type Kafka, readTopicToEnd, type TopicNames } from "@orders/kafka";
import type { OutboxMode } from "./config.ts";
import { type InventoryLedger, moneyViolations, type PaymentLedgerEntry, type Violation } from "./money-check.ts";

export interface CheckInput {
  readonly pool: Pool;
  readonly kafka: Kafka;
  readonly topics: TopicNames;
  readonly consumerGroup: string;
  /** Ids the API returned (201) — every one must exist. */
  readonly placedIds: readonly string[];
  /** The payment simulator's per-order ledger, when available. */
  readonly paymentLedger?: readonly PaymentLedgerEntry[];
  /**
   * The inventory simulator's stock ledger. With it (and the payment ledger) the money and stock
   * invariants are checked too (money-check.ts) and every violation is reported by order id
   * with its timeline in `violations`.
   */
  readonly inventoryLedger?: InventoryLedger;
  /** No record in the run was invalid: every dead letter is a violation (a transient error poisoned it). */
  readonly deadLettersAreViolations?: boolean;
  /**
   * Who published the outbox. `relay` (default) marks rows `published_at`, which is checked too;
   * Debezium never writes to the outbox, so there delivery is proven by the topic alone.
   */
  readonly outboxMode?: OutboxMode;
  /** How long to keep re-reading `orders` for outbox events not there yet (CDC lag); default 20 s. */
  readonly deliveryTimeoutMs?: number;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly figures: Readonly<Record<string, number>>;
  /** Broken money/settlement/stock invariants and poisoned records, each with the order's timeline. */
  readonly violations: readonly Violation[];
}

/** A status path is legal when each change follows the table (delivered-before-shipped implies SHIPPED). */
function legalPath(statuses: readonly string[]): boolean {
  if (statuses[0] !== "PENDING") return false;
  const table = ORDER_TRANSITIONS as Record<string, readonly string[]>;
  for (let i = 1; i < statuses.length; i++) {
    const from = statuses[i - 1] as string;
    const to = statuses[i] as string;
    if (from === to) continue;
    const ok = table[from]?.includes(to) || (from === "CONFIRMED" && to === "DELIVERED");
    if (!ok) return false;
  }
  return true;
}

/**
 * The end-to-end checker: reads the database and every topic and proves that nothing was lost
 * (every placed order exists and is final, every outbox row reached `orders`, every consumed
 * record was applied or dead-lettered) and nothing was applied twice (one outbox event of each
 * kind at most, version = number of applied timeline rows, no cause applied twice, payments
 * captured at most once and refunded when cancelled).
 */
export async function checkSystem(input: CheckInput): Promise<CheckReport> {
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < 50) problems.push(p);
  };
  const relayMode = (input.outboxMode ?? "relay") === "relay";
  // Delivery first. Every outbox row reached `orders` (at least once; the relay or Connect may
  // repeat a record) — the proof in both modes. The publisher may be a little behind the last
  // state changes, so the topic (and in relay mode `published_at`, set after the broker's ack)
  // is read again until everything is there or the timeout passes.
  const outboxIds = await outboxIdsOf(input.pool, input.placedIds);
  const deliveryDeadline = Date.now() + (input.deliveryTimeoutMs ?? 20_000);
  let notOnTopic: string[];
  for (;;) {
    const published = new Set((await readTopicToEnd(input.kafka, input.topics.orders)).map((r) => r.headers.ce_id));
    notOnTopic = outboxIds.filter((id) => !published.has(id));
    const unmarked = relayMode && notOnTopic.length === 0 ? await countUnpublishedOf(input.pool, input.placedIds) : 0;
    if ((notOnTopic.length === 0 && unmarked === 0) || Date.now() > deliveryDeadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  for (const id of notOnTopic.slice(0, 10)) problem(`outbox event ${id} is not on ${input.topics.orders}`);
  const figures: Record<string, number> = { placed: input.placedIds.length, outbox_events: outboxIds.length };
  figures.outbox_events_not_on_topic = notOnTopic.length;

  const rows = await auditOrders(input.pool, input.placedIds);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = input.placedIds.filter((id) => !byId.has(id));
  for (const id of missing.slice(0, 10)) problem(`order ${id} was placed but does not exist`);
  const ledger = new Map((input.paymentLedger ?? []).map((l) => [l.orderId, l]));
  figures.missing = missing.length;
  for (const o of rows) {
    figures[`status_${o.status}`] = (figures[`status_${o.status}`] ?? 0) + 1;
    if (o.status !== "DELIVERED" && o.status !== "CANCELLED") problem(`${o.id}: not final (${o.status})`);
    if (o.created !== 1) problem(`${o.id}: ${o.created} OrderCreated events`);
    const wasConfirmed = o.statuses.includes("CONFIRMED") || o.status === "DELIVERED" || o.status === "SHIPPED";
    if (o.confirmed !== (wasConfirmed ? 1 : 0)) problem(`${o.id}: ${o.confirmed} OrderConfirmed events (confirmed: ${wasConfirmed})`);
    // A parcel refused at the door (cancelled after it shipped, issue 14) comes back through the returns
    // flow (ReturnRequested/ReturnReceived restock it); an OrderCancelled would release its stock twice.
    const refusedParcel = o.status === "CANCELLED" && o.delivery_status === "SHIPPED";
    if (o.cancelled !== (o.status === "CANCELLED" && !refusedParcel ? 1 : 0))
      problem(`${o.id}: ${o.cancelled} OrderCancelled events in ${o.status}`);
    if (relayMode && o.unpublished > 0) problem(`${o.id}: ${o.unpublished} outbox rows not marked published by the relay`);
    if (o.version !== o.applied_rows)
      problem(`${o.id}: version ${o.version} ≠ ${o.applied_rows} applied timeline rows (an effect applied twice or lost)`);
    if (o.dup_causes > 0) problem(`${o.id}: the same cause applied twice`);
    if (!legalPath(o.statuses)) problem(`${o.id}: illegal timeline ${o.statuses.join(" → ")}`);
    if (
      o.status === "DELIVERED" &&
      (o.inventory_status !== "RESERVED" || o.payment_status !== "SUCCEEDED" || o.delivery_status !== "DELIVERED")
    ) {
      problem(`${o.id}: DELIVERED with inventory ${o.inventory_status}, payment ${o.payment_status}, delivery ${o.delivery_status}`);
    }
    if (o.status === "CANCELLED") {
      if (o.inventory_status === "RESERVED") problem(`${o.id}: cancelled but stock still reserved`);
      if (o.payment_status === "SUCCEEDED") problem(`${o.id}: cancelled but payment not refunded`);
      // A payment still waiting for its charge is closed by the PaymentInitiator (PaymentAbandoned → FAILED).
      if (o.payment_status === "PENDING") problem(`${o.id}: cancelled but payment still PENDING`);
    }
    if (input.paymentLedger) {
      const l = ledger.get(o.id);
      const dbCaptured = o.payment_status === "SUCCEEDED" || o.payment_status === "REFUNDED";
      if ((l?.captured ?? false) !== dbCaptured)
        problem(`${o.id}: payment service captured=${l?.captured ?? false}, database ${o.payment_status}`);
      // A live order may be partly (or, fully returned, wholly) refunded on the ledger while its
      // payment stays SUCCEEDED: amounts are compared in moneyViolations (issue 13).
      if (o.status === "CANCELLED" && (l?.refunded ?? false) !== (o.payment_status === "REFUNDED"))
        problem(`${o.id}: payment service refunded=${l?.refunded ?? false}, database ${o.payment_status}`);
      if (o.status !== "CANCELLED" && l?.refunded && l.refundedAmount === undefined)
        problem(`${o.id}: payment service refunded=true, database ${o.payment_status}`);
    }
  }

  // Every consumed record was applied (its id in processed_messages) or dead-lettered.
  let records = 0;
  const ids = new Set<string>();
  for (const topic of [input.topics.inventory, input.topics.payments, input.topics.deliveries]) {
    for (const r of await readTopicToEnd(input.kafka, topic)) {
      records++;
      if (r.headers.ce_id) ids.add(r.headers.ce_id);
    }
  }
  const dead = new Set<string>();
  const violations: Violation[] = [];
  for (const topic of [input.topics.inventory, input.topics.payments, input.topics.deliveries]) {
    for (const r of await readTopicToEnd(input.kafka, deadLetterTopic(topic))) {
      if (!r.headers.ce_id) continue;
      if (input.deadLettersAreViolations && !dead.has(r.headers.ce_id)) {
        violations.push({
          orderId: r.key,
          kind: "dead-lettered",
          detail: `${r.headers.ce_type ?? "?"} ${r.headers.ce_id} dead-lettered: ${r.headers[DLQ_HEADERS.reason]} (${(r.headers[DLQ_HEADERS.detail] ?? "").slice(0, 200)})`,
        });
      }
      dead.add(r.headers.ce_id);
    }
  }
  const done = await processedMessageIds(input.pool, input.consumerGroup, [...ids]);
  const lost = [...ids].filter((id) => !done.has(id) && !dead.has(id));
  for (const id of lost.slice(0, 10)) problem(`consumed record ${id} neither applied nor dead-lettered`);
  figures.consumed_records = records;
  figures.distinct_messages = ids.size;
  figures.duplicate_deliveries = records - ids.size;
  figures.dead_lettered = dead.size;
  figures.lost_messages = lost.length;
  if (input.paymentLedger) {
    figures.payments_captured = input.paymentLedger.filter((l) => l.captured).length;
    figures.payments_refunded = input.paymentLedger.filter((l) => l.refunded).length;
  }
  const sums = await ledgerSums(input.pool, input.placedIds);
  if (input.paymentLedger && input.inventoryLedger) {
    violations.push(...moneyViolations(rows, input.paymentLedger, input.inventoryLedger, sums));
  }
  // Issue 13: the stored lifecycle columns never drift from the line counters and the ledger.
  const linesOf = await auditLines(input.pool, input.placedIds);
  const capturedOf = new Map(sums.map((s) => [s.orderId, s.captured as Money]));
  for (const o of rows) {
    const lines = linesOf.get(o.id) ?? [];
    const stored = { status: o.status as OrderStatus, paymentStatus: o.payment_status as PaymentStatus };
    const derived = { fulfilment: fulfilmentStatus(lines), captured: capturedOf.get(o.id) ?? ("0.00" as Money) };
    for (const detail of statusDrift(stored, derived)) violations.push({ orderId: o.id, kind: "status-drift", detail });
  }
  for (const v of violations) figures[`violation_${v.kind}`] = (figures[`violation_${v.kind}`] ?? 0) + 1;
  // Each violation with its order's timeline (bounded: a broken run may name thousands).
  const named = [...new Set(violations.map((v) => v.orderId).filter((id): id is string => id !== null))].slice(0, 200);
  const timelines = new Map((await orderTimelines(input.pool, named)).map((t) => [t.id, t.timeline]));
  for (const v of violations) if (v.orderId) v.timeline = timelines.get(v.orderId) ?? [];
  return { ok: problems.length === 0 && violations.length === 0, problems, figures, violations };
}

export { unsettledOrders } from "@orders/db";

/** Counts by status and how many are settled (final, nothing left to compensate). */
export const progress = (pool: Pool, ids: readonly string[]) => settledProgress(pool, ids);
