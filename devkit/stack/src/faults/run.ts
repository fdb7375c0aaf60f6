import { activityCounters } from "@orders/db";
import { type CheckReport, progress } from "../checker.ts";
import { cancelOrder, type PlacedOrder, placeOrdersResilient } from "../load.ts";
import type { Violation } from "../money-check.ts";
import type { ManagedProcess } from "../processes.ts";
import { cancelOneUnit, deliveredOrders, type ReturnKind, refundFigures, returnOrder } from "../returns.ts";
import { type Stack, startStack } from "../stack.ts";
import { checkStack, waitUntilQuiet } from "../verify.ts";
import { type FaultTargets, type InjectedFault, injectFault, restartUntilUp } from "./injector.ts";
import { describeFault, type PlannedFault, planFaults } from "./plan.ts";
import type { FaultServers } from "./servers.ts";

export interface FaultRunOptions {
  readonly seed: number;
  readonly orders: number;
  /** Faults start within this window; the orders are spread over 90 % of it. */
  readonly windowMs: number;
  /** Each round injects every fault class once (default 1). */
  readonly rounds?: number;
  readonly servers: FaultServers;
  /** How long to wait for every order to settle once the load and the faults are over (default 240 s). */
  readonly settleTimeoutMs?: number;
  readonly openTransactionMs?: readonly [number, number];
  /** Every n-th placed order is cancelled by its user (default 25). */
  readonly cancelEvery?: number;
  /** Every n-th placed order gets one unit cancelled once confirmed, during the faults (issue 13). */
  readonly partialCancelEvery?: number;
  /** Every n-th delivered order is returned (full, partial, damaged in turn) once the load settled. */
  readonly returnEvery?: number;
  readonly log?: (line: string) => void;
}

export interface FaultRunReport {
  readonly seed: number;
  readonly orders: number;
  readonly placed: number;
  readonly injected: readonly InjectedFault[];
  /** Money, settlement, stock, poison, app-exit and stall violations, by order where there is one. */
  readonly violations: readonly Violation[];
  /** The exactly-once checker's other findings (lost, doubled, out of order). */
  readonly problems: readonly string[];
  readonly figures: Readonly<Record<string, number>>;
  readonly loadAnswers: Readonly<Record<string, number>>;
  readonly timings: Readonly<Record<"startMs" | "loadMs" | "faultsMs" | "settleMs" | "checkMs" | "totalMs", number>>;
  readonly ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One seeded fault run: a fresh database and topics on the suite's own servers, the whole stack
 * (2 apis, 2 relays, 2 consumers), `orders` orders through the API while the seed's schedule of
 * faults is injected, then a bounded wait for every order to settle and the checker with the
 * simulators' ledgers. Crashed apps are restarted (as a supervisor would) and reported.
 */
export async function runFaultSuite(options: FaultRunOptions): Promise<FaultRunReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const t = Date.now();
  const since = () => Date.now() - t;
  const stamp = () => `+${(since() / 1_000).toFixed(1)}s`;
  log(`[faults] FAULT_SEED=${options.seed} orders=${options.orders} window=${options.windowMs / 1_000}s`);
  const databaseUrl = await options.servers.freshDatabase(`faults_${options.seed}`);
  const stack = await startStack({
    databaseUrl,
    kafkaBrokers: options.servers.kafka.brokers,
    namespace: `-f${options.seed}-${Date.now().toString(36)}`,
    partitions: 6,
    apis: 2,
    relays: 2,
    consumers: 2,
    chaos: { duplicateRate: 0.05, reorderWindowMs: 100 },
    inventoryFailureRate: 0.03,
    paymentFailureRate: 0.1,
    paymentRetryableShare: 0.6,
    // Shorter than the long consumer pause (65–80 s) and pg-boss' 60 s job expiry: an order can
    // be cancelled while a frozen PaymentInitiator run still means to charge it.
    pendingDeadlineMs: 45_000,
    deadlineCron: "*/5 * * * * *",
    answerDelayMs: [1, 40],
    shipDelayMs: [20, 200],
    logLevel: "warn",
  });
  const startMs = since();
  try {
    return await driveRun(options, stack, { postgres: options.servers.postgres, kafka: options.servers.kafka, stack }, log, {
      t,
      startMs,
      stamp,
    });
  } catch (error) {
    log(await stack.diagnostics(30));
    throw error;
  } finally {
    const unclean = await stack.stop();
    if (unclean.length > 0) log(`[faults] on stop: ${unclean.join(", ")}`);
  }
}

async function driveRun(
  options: FaultRunOptions,
  stack: Stack,
  targets: FaultTargets,
  log: (line: string) => void,
  clockIn: { t: number; startMs: number; stamp: () => string },
): Promise<FaultRunReport> {
  let clock = clockIn;
  const since = () => Date.now() - clock.t;
  const runStart = Date.now();
  // Log times count from the start of the load, as the plan's do.
  clock = { ...clock, stamp: () => `+${((Date.now() - runStart) / 1_000).toFixed(1)}s` };
  const plan = planFaults({
    seed: options.seed,
    windowMs: options.windowMs,
    rounds: options.rounds ?? 1,
    instances: { api: stack.apis.length, relay: stack.relays.length, consumer: stack.consumers.length },
    ...(options.openTransactionMs ? { openTransactionMs: options.openTransactionMs } : {}),
  });
  log(`[faults] seed ${options.seed}: ${plan.length} faults planned`);
  for (const f of plan) log(`[faults]   ${describeFault(f)}`);

  // The supervisor: an app that died on its own is started again (and counted as a violation).
  const held = new Set<ManagedProcess>();
  const restarting = new Set<ManagedProcess>();
  const apps = [...stack.apis, ...stack.relays, ...stack.consumers];
  const supervisor = setInterval(() => {
    for (const p of apps) {
      if (held.has(p) || restarting.has(p) || p.running) continue;
      restarting.add(p);
      log(`[faults] ${clock.stamp()} ${p.spec.name} exited on its own: ${p.unexpectedExits.at(-1) ?? "?"}; restarting`);
      void restartUntilUp(p, log)
        .catch((error) => log(`[faults] ${p.spec.name} could not be restarted: ${(error as Error).message}`))
        .finally(() => restarting.delete(p));
    }
  }, 1_000);

  // Faults on one target run one after the other; different targets overlap freely.
  const busy = new Map<string, Promise<void>>();
  const active = new Set<string>();
  const injected: InjectedFault[] = [];
  const runFault = async (planned: PlannedFault) => {
    await sleep(Math.max(0, planned.atMs - (Date.now() - runStart)));
    let f = planned;
    // An app instance still in an earlier fault: take a free instance of the same role rather
    // than wait (a pause aimed at an outage must fall inside it).
    const [role] = f.target.split("-");
    if (active.has(f.target) && (role === "api" || role === "relay" || role === "consumer")) {
      const count = role === "api" ? stack.apis.length : role === "relay" ? stack.relays.length : stack.consumers.length;
      const free = Array.from({ length: count }, (_, i) => `${role}-${i + 1}`).find((t) => !active.has(t));
      if (free) {
        log(`[faults] ${clock.stamp()} ${f.target} is busy; ${f.kind} goes to ${free}`);
        f = { ...f, target: free };
      }
    }
    active.add(f.target);
    const prior = busy.get(f.target) ?? Promise.resolve();
    const mine = prior.then(async () => {
      const startedMs = Date.now() - runStart;
      log(`[faults] ${clock.stamp()} inject ${describeFault(f)}`);
      let note: string;
      let openTransaction: InjectedFault["openTransaction"];
      try {
        ({ note, openTransaction } = await injectFault(f, targets, held, log));
      } catch (error) {
        note = `failed to inject/restore: ${(error as Error).message.split("\n")[0]}`;
      }
      const endedMs = Date.now() - runStart;
      injected.push({ planned: f, startedMs, endedMs, note, ...(openTransaction ? { openTransaction } : {}) });
      active.delete(f.target);
      log(`[faults] ${clock.stamp()} done   ${f.kind} ${f.target}: ${note}`);
    });
    busy.set(f.target, mine);
    await mine;
  };
  const faultsDone = Promise.all(plan.map(runFault));
  try {
    return await measure(options, stack, log, clock, { since, apps, injected, faultsDone });
  } catch (error) {
    // Restore every target before the stack is stopped (a late restart would leave an orphan).
    await faultsDone.catch(() => {});
    throw error;
  } finally {
    clearInterval(supervisor);
  }
}

async function measure(
  options: FaultRunOptions,
  stack: Stack,
  log: (line: string) => void,
  clock: { t: number; startMs: number; stamp: () => string },
  run: { since: () => number; apps: readonly ManagedProcess[]; injected: readonly InjectedFault[]; faultsDone: Promise<unknown> },
): Promise<FaultRunReport> {
  const { since, apps, injected, faultsDone } = run;

  const cancels: Promise<unknown>[] = [];
  const cancelEvery = options.cancelEvery ?? 25;
  const partialCancelEvery = options.partialCancelEvery ?? 30;
  let placedCount = 0;
  const ticker = setInterval(() => log(`[faults] ${clock.stamp()} placed ${placedCount}/${options.orders}`), 15_000);
  const load = await placeOrdersResilient({
    apiUrls: () => stack.apiUrls,
    jwtSecret: stack.jwtSecret,
    count: options.orders,
    concurrency: 8,
    spreadMs: options.windowMs * 0.9,
    replayEvery: 20,
    log,
    onPlaced: (o) => {
      placedCount++;
      if (placedCount % cancelEvery === 0) cancels.push(cancelWithRetry(stack, o));
      else if (placedCount % partialCancelEvery === 0)
        cancels.push(retryApi(stack, (url) => cancelOneUnit(url, stack.jwtSecret, o, 60_000)));
    },
  }).finally(() => clearInterval(ticker));
  const loadMs = since() - clock.startMs;
  log(
    `[faults] ${clock.stamp()} load done: ${load.placed.length} placed, ${load.failed} given up, answers ${JSON.stringify(load.answers)}`,
  );
  await Promise.all([faultsDone, ...cancels]);
  const faultsMs = since() - clock.startMs;
  log(`[faults] ${clock.stamp()} every fault injected and restored`);

  const ids = load.placed.map((p) => p.id);
  const settleDeadline = Date.now() + (options.settleTimeoutMs ?? 240_000);
  let settled = 0;
  // Bounded poll; it also ends once nothing has moved for 90 s (the rest is stuck for good).
  let lastActivity = "";
  let stillSince = Date.now();
  for (;;) {
    settled = await progress(stack.pool, ids)
      .then((p) => p.settled)
      .catch(() => settled);
    if (settled === ids.length || Date.now() > settleDeadline) break;
    const activity = `${settled} ${await activityCounters(stack.pool).catch(() => "")}`;
    if (activity !== lastActivity) {
      lastActivity = activity;
      stillSince = Date.now();
    } else if (Date.now() - stillSince > 90_000) {
      log(`[faults] ${clock.stamp()} ${ids.length - settled} orders unsettled and nothing moved for 90 s`);
      break;
    }
    await sleep(2_000);
  }
  // Returns of delivered orders (issue 13), then every ledger refund must settle at the service.
  const returnEvery = options.returnEvery ?? 20;
  const kinds: ReturnKind[] = ["full", "partial", "damaged"];
  const toReturn = (await deliveredOrders(stack.pool, load.placed)).filter((_, i) => i % returnEvery === 0);
  await Promise.all(
    toReturn.map((o, i) => retryApi(stack, (url) => returnOrder(url, stack.jwtSecret, o, kinds[i % kinds.length] as ReturnKind))),
  );
  const refundDeadline = Date.now() + 120_000;
  while ((await refundFigures(stack.pool, ids)).outstanding > 0 && Date.now() < refundDeadline) await sleep(1_000);
  log(`[faults] ${clock.stamp()} ${toReturn.length} returns; refunds ${JSON.stringify(await refundFigures(stack.pool, ids))}`);
  await waitUntilQuiet(stack.pool, 3_000, 30_000);
  const settleMs = since() - clock.startMs - faultsMs;
  log(`[faults] ${clock.stamp()} ${settled}/${ids.length} settled; checking`);

  const report: CheckReport = await checkStack(stack, ids, { money: true });
  const violations: Violation[] = [...report.violations];
  for (const p of apps) {
    for (const exit of p.unexpectedExits) violations.push({ orderId: null, kind: "app-exited", detail: exit });
  }
  for (const i of injected) {
    const tx = i.openTransaction;
    // Rows written while the transaction was open (but its last 10 s): most must be out by its end.
    if (tx && tx.longestHoldMs >= 30_000 && tx.created >= 10 && tx.published < tx.created / 2) {
      violations.push({
        orderId: tx.lockedOrder,
        kind: "publishing-stalled",
        detail: `a transaction held open ${(tx.longestHoldMs / 1_000).toFixed(0)}s: only ${tx.published} of ${tx.created} outbox rows written meanwhile were published`,
      });
    }
  }
  // During an outage the API owes its clients 503 (retry later), never 500 (issue 10 part 5).
  if ((load.answers["500"] ?? 0) > 0)
    violations.push({ orderId: null, kind: "api-500", detail: `the API answered 500 to ${load.answers["500"]} order requests` });
  for (const m of load.replayMismatches) violations.push({ orderId: null, kind: "idempotency", detail: m });
  if (load.failed > 0) violations.push({ orderId: null, kind: "order-not-placed", detail: `${load.failed} orders never got an answer` });
  const figures = { ...report.figures, settled, unexpected_exits: apps.reduce((n, p) => n + p.unexpectedExits.length, 0) };
  const checkMs = since() - clock.startMs - faultsMs - settleMs;
  return {
    seed: options.seed,
    orders: options.orders,
    placed: ids.length,
    injected,
    violations,
    problems: report.problems,
    figures,
    loadAnswers: load.answers,
    timings: { startMs: clock.startMs, loadMs, faultsMs, settleMs, checkMs, totalMs: since() },
    ok: report.problems.length === 0 && violations.length === 0,
  };
}

/** A user's cancel, sent until an api answers 200 or 409 (too late), for up to 3 minutes. */
async function cancelWithRetry(stack: Stack, order: PlacedOrder): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (let i = 0; Date.now() < deadline; i++) {
    const urls = stack.apiUrls;
    const status = await Promise.race([
      cancelOrder(urls[i % urls.length] as string, stack.jwtSecret, order).catch(() => 0),
      sleep(10_000).then(() => 0),
    ]);
    if (status === 200 || status === 409) return;
    await sleep(1_000);
  }
}

/** An API call sent to the live apis in turn until one answers (an api may be down), for up to 3 minutes. */
async function retryApi<T>(stack: Stack, fn: (apiUrl: string) => Promise<T>): Promise<T | null> {
  const deadline = Date.now() + 180_000;
  for (let i = 0; Date.now() < deadline; i++) {
    const urls = stack.apiUrls;
    try {
      return await fn(urls[i % urls.length] as string);
    } catch {
      await sleep(1_000);
    }
  }
  return null;
}

/** A short, greppable summary of a run: seed, timings, faults, violations by kind. */
export function summarize(r: FaultRunReport): string {
  const kinds = new Map<string, number>();
  for (const v of r.violations) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
  const lines = [
    `seed ${r.seed}: ${r.placed}/${r.orders} orders placed, ${r.figures.settled ?? 0} settled, ${r.ok ? "PASS" : "FAIL"} ` +
      `(total ${(r.timings.totalMs / 1_000).toFixed(0)}s: start ${(r.timings.startMs / 1_000).toFixed(0)}s, load ${(r.timings.loadMs / 1_000).toFixed(0)}s, ` +
      `faults ${(r.timings.faultsMs / 1_000).toFixed(0)}s, settle ${(r.timings.settleMs / 1_000).toFixed(0)}s, check ${(r.timings.checkMs / 1_000).toFixed(0)}s)`,
    `  statuses: DELIVERED ${r.figures.status_DELIVERED ?? 0}, CANCELLED ${r.figures.status_CANCELLED ?? 0}; captured ${r.figures.payments_captured ?? 0}, refunded ${r.figures.payments_refunded ?? 0}; dead letters ${r.figures.dead_lettered ?? 0}; api answers ${JSON.stringify(r.loadAnswers)}`,
    ...r.injected
      .slice()
      .sort((a, b) => a.startedMs - b.startedMs)
      .map(
        (i) =>
          `  fault +${(i.startedMs / 1_000).toFixed(1)}s..+${(i.endedMs / 1_000).toFixed(1)}s ${i.planned.kind} ${i.planned.target} (planned ${(i.planned.durationMs / 1_000).toFixed(1)}s): ${i.note}`,
      ),
    `  violations: ${kinds.size === 0 ? "none" : [...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`,
    ...r.problems.slice(0, 20).map((p) => `  problem: ${p}`),
  ];
  return lines.join("\n");
}

/** Every violation with its order's timeline (for a failing test or the soak's log). */
export function describeViolations(r: FaultRunReport, max = 30): string {
  return r.violations
    .slice(0, max)
    .map((v) => `${v.kind} ${v.orderId ?? "-"}: ${v.detail}${v.timeline ? `\n    ${v.timeline.join("\n    ")}` : ""}`)
    .join("\n");
}
