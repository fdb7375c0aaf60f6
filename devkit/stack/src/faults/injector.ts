import type { LocalKafka } from "@orders/local-kafka";
import type { LocalPostgres } from "@orders/local-postgres";
import type { ManagedProcess } from "../processes.ts";
import type { Stack } from "../stack.ts";
import { holdTransaction, type OpenTransactionResult } from "./open-transaction.ts";
import type { PlannedFault } from "./plan.ts";

export interface FaultTargets {
  readonly stack: Stack;
  readonly postgres: LocalPostgres;
  readonly kafka: LocalKafka;
}

export interface InjectedFault {
  readonly planned: PlannedFault;
  /** Actual start and end, ms after the run started (a fault waits while its target is busy). */
  readonly startedMs: number;
  readonly endedMs: number;
  readonly note: string;
  readonly openTransaction?: OpenTransactionResult;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The app process named by a plan target (`consumer-2`), whatever the stack called it. */
export function appProcess(stack: Stack, target: string): ManagedProcess {
  const [role, n] = target.split("-") as [string, string];
  const list = role === "api" ? stack.apis : role === "relay" ? stack.relays : role === "consumer" ? stack.consumers : [];
  const p = list[Number(n) - 1];
  if (!p) throw new Error(`no process for fault target ${target}`);
  return p;
}

/** Starts a process again, retrying while it cannot start (PostgreSQL or Kafka may be down right now). */
export async function restartUntilUp(p: ManagedProcess, log: (line: string) => void, forMs = 240_000): Promise<void> {
  const deadline = Date.now() + forMs;
  for (;;) {
    try {
      await p.restart();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      log(`[fault] ${p.spec.name} did not start (${(error as Error).message.split("\n")[0]}); retrying`);
      await sleep(2_000);
    }
  }
}

async function setServiceFaults(url: string, settings: Record<string, unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${url}/admin/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(settings),
      });
      if (res.ok) return;
      throw new Error(`POST ${url}/admin/faults → ${res.status}`);
    } catch (error) {
      if (attempt >= 10) throw error;
      await sleep(500);
    }
  }
}

const SLOW = { mode: "slow", latencyMs: 2_000, latencyMaxMs: 3_500 };
// An outage as a caller meets it behind a gateway: the gateway waits for the dead upstream,
// then answers 503 — so a caller spends its time inside requests, not only in backoff.
const DOWN = { mode: "down", latencyMs: 1_000, latencyMaxMs: 2_000 };
const OK = { mode: "up", failureRate: 0, latencyMs: 0, latencyMaxMs: 0 };

/**
 * Runs one fault to its end (the target restored). `held` holds the app processes a fault is
 * keeping down on purpose, so the supervisor does not restart them.
 */
export async function injectFault(
  f: PlannedFault,
  targets: FaultTargets,
  held: Set<ManagedProcess>,
  log: (line: string) => void,
): Promise<{ note: string; openTransaction?: OpenTransactionResult }> {
  const { stack } = targets;
  switch (f.kind) {
    case "kill": {
      const p = appProcess(stack, f.target);
      held.add(p);
      try {
        await p.stop("SIGKILL");
        await sleep(f.durationMs);
        await restartUntilUp(p, log);
      } finally {
        held.delete(p);
      }
      return { note: `restarted (pid ${p.pid})` };
    }
    case "pause": {
      const p = appProcess(stack, f.target);
      if (!p.running) return { note: "not running, nothing paused" };
      held.add(p);
      try {
        p.pause();
        await sleep(f.durationMs);
        p.resume();
      } finally {
        held.delete(p);
      }
      return { note: "continued" };
    }
    case "kafka-restart":
      await targets.kafka.kill();
      await sleep(f.durationMs);
      await targets.kafka.restart();
      return { note: "broker back" };
    case "postgres-restart":
      await targets.postgres.stopImmediate();
      await sleep(f.durationMs);
      await targets.postgres.restart();
      return { note: "server back (crash recovery done)" };
    case "payment-slow":
    case "payment-down":
    case "inventory-slow":
    case "inventory-down": {
      const url = f.kind.startsWith("payment") ? stack.paymentUrl : stack.inventoryUrl;
      await setServiceFaults(url, f.kind.endsWith("slow") ? SLOW : DOWN);
      await sleep(f.durationMs);
      await setServiceFaults(url, OK);
      return { note: "answering normally again" };
    }
    case "open-transaction": {
      const r = await holdTransaction(stack.databaseUrl, f.durationMs, stack.pool);
      const note =
        `locked order ${r.lockedOrder ?? "none"} ${(r.heldMs / 1_000).toFixed(1)}s` +
        `${r.cuts.length > 0 ? ` (session cut and reopened: ${r.cuts.join("; ")})` : ""}; in its longest stretch (${(r.longestHoldMs / 1_000).toFixed(0)}s) ${r.published}/${r.created} new outbox rows were published`;
      return { note, openTransaction: r };
    }
  }
}
