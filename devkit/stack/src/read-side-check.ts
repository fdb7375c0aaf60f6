import { createPool, type Pool } from "@orders/db";
import { dumpReadModel, outboxEventsOf, writeSideStates } from "@orders/db/read-model";
import type { Stack } from "./stack.ts";

export interface ReadSideCheckInput {
  /** The write database (the outbox is the truth). */
  readonly pool: Pool;
  /** The read model's database; null: not checked. */
  readonly readPool: Pool | null;
  /** The notification service; null: not checked. */
  readonly notificationUrl: string | null;
  readonly orderIds: readonly string[];
  /** Keep re-reading until everything matches or this passes (the followers lag a little); default 30 s. */
  readonly timeoutMs?: number;
}

export interface ReadSideReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly figures: Readonly<Record<string, number>>;
}

type Event = { sequence: number; type: string; eventId: string };
const same = (a: readonly Event[], b: readonly Event[]) =>
  a.length === b.length && a.every((e, i) => e.sequence === b[i]?.sequence && e.type === b[i]?.type && e.eventId === b[i]?.eventId);
const list = (events: readonly Event[]) => events.map((e) => `${e.sequence}:${e.type}`).join(",");

/**
 * Issue 15's read-side proof: every state change of every order (its outbox events, numbered by
 * ce_sequence) reached the notification service and the read model, in order, each once, with no
 * gap — and the read model's row agrees with the write side's status and version.
 */
export async function checkReadSide(input: ReadSideCheckInput): Promise<ReadSideReport> {
  const deadline = Date.now() + (input.timeoutMs ?? 30_000);
  for (;;) {
    const report = await checkOnce(input);
    if (report.ok || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function checkOnce(input: ReadSideCheckInput): Promise<ReadSideReport> {
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < 50) problems.push(p);
  };
  const truth = new Map<string, Event[]>();
  for (const e of await outboxEventsOf(input.pool, input.orderIds)) truth.set(e.orderId, [...(truth.get(e.orderId) ?? []), e]);
  const states = new Map((await writeSideStates(input.pool, input.orderIds)).map((s) => [s.id, s]));
  const figures: Record<string, number> = { orders: input.orderIds.length, events: [...truth.values()].reduce((n, l) => n + l.length, 0) };
  for (const [id, events] of truth) {
    if (!events.every((e, i) => e.sequence === i + 1)) problem(`${id}: the outbox numbering has a hole: ${list(events)}`);
  }

  if (input.notificationUrl) {
    let seen = 0;
    for (const id of input.orderIds) {
      const res = await fetch(`${input.notificationUrl}/admin/orders/${id}`);
      const trail = res.ok ? ((await res.json()) as { events: Event[] }).events : [];
      seen += trail.length;
      if (!same(trail, truth.get(id) ?? [])) problem(`notification ${id}: saw ${list(trail)}, outbox ${list(truth.get(id) ?? [])}`);
    }
    const gaps = (await (await fetch(`${input.notificationUrl}/admin/gaps`)).json()) as { items: { orderId: string }[] };
    const ours = new Set(input.orderIds);
    const orderGaps = gaps.items.filter((g) => ours.has(g.orderId));
    for (const g of orderGaps.slice(0, 10)) problem(`notification flagged a gap: ${JSON.stringify(g)}`);
    figures.notification_events = seen;
    figures.notification_gaps = orderGaps.length;
  }

  if (input.readPool) {
    const rows = new Map((await dumpReadModel(input.readPool)).map((r) => [r.id as string, r]));
    let projected = 0;
    for (const id of input.orderIds) {
      const row = rows.get(id);
      const want = truth.get(id) ?? [];
      const state = states.get(id);
      if (!row) {
        problem(`read model ${id}: missing`);
        continue;
      }
      const events = (row.events as Event[] | null) ?? [];
      projected += events.length;
      if (!same(events, want)) problem(`read model ${id}: holds ${list(events)}, outbox ${list(want)}`);
      if (row.contiguous !== row.lastSequence) problem(`read model ${id}: gap (contiguous ${row.contiguous}, last ${row.lastSequence})`);
      if (state) {
        for (const k of ["status", "inventoryStatus", "paymentStatus", "deliveryStatus", "version"] as const) {
          if (row[k] !== state[k]) problem(`read model ${id}: ${k} ${String(row[k])}, write side ${String(state[k])}`);
        }
      }
    }
    figures.read_model_events = projected;
  }
  return { ok: problems.length === 0, problems, figures };
}

/** checkReadSide against a running stack: its write database, read model and notification service. */
export async function checkStackReadSide(stack: Stack, orderIds: readonly string[], timeoutMs?: number): Promise<ReadSideReport> {
  const readPool = stack.readDatabaseUrl
    ? createPool({ connectionString: stack.readDatabaseUrl, max: 2, applicationName: "read-side-check" })
    : null;
  try {
    return await checkReadSide({
      pool: stack.pool,
      readPool,
      notificationUrl: stack.notificationUrl,
      orderIds,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  } finally {
    await readPool?.end();
  }
}
