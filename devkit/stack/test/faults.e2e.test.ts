import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeViolations } from "../src/faults/run.ts";
import { FAULT_KINDS, type FaultServers, runFaultSuite, startFaultServers, summarize } from "../src/index.ts";

/*
 * The fault suite (issue 10, docs/reliability.md): per seed, ~1 000 orders through two apis
 * while the seed's schedule kills and pauses an api, a relay and a consumer, restarts the
 * broker, stops PostgreSQL in immediate mode, makes the payment and inventory services slow
 * and down, and holds a transaction open for minutes. Then every order must settle and the
 * checker must find nothing lost, nothing applied twice, and no money or stock invariant broken.
 *   FAULT_SEEDS=7,8 (replay seeds), FAULT_ORDERS, FAULT_WINDOW_S override the defaults; the same
 *   run outside vitest: FAULT_SEED=101 FAULT_ORDERS=1000 FAULT_WINDOW_S=75 FAULT_ROUNDS=1
 *   FAULT_OPEN_TX_S=90 npm run soak --workspace devkit/stack (docs/reliability.md).
 */
const SEEDS = (process.env.FAULT_SEEDS ?? "101,202,303").split(",").map((s) => Number(s.trim()));
const ORDERS = Number(process.env.FAULT_ORDERS ?? 1_000);
const WINDOW_MS = Number(process.env.FAULT_WINDOW_S ?? 75) * 1_000;

/**
 * Violation kinds the code at this commit still shows, each with the part of issue 10 that is to
 * remove it. They are printed as KNOWN OPEN and do not fail the test; every other violation
 * does. The goal is an empty map: delete an entry the moment its fix lands.
 */
const KNOWN_OPEN: Readonly<Record<string, string>> = {};

let servers: FaultServers;

// Its own PostgreSQL and Kafka: this file crashes them, so never the servers other files share.
beforeAll(async () => {
  servers = await startFaultServers((line) => console.log(line));
}, 300_000);
afterAll(async () => {
  await servers?.stop();
});

describe("fault suite: every fault class at seeded random times", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${ORDERS} orders all settle, nothing lost or doubled, every capture kept by a live order or refunded`, async () => {
      const report = await runFaultSuite({
        seed,
        orders: ORDERS,
        windowMs: WINDOW_MS,
        servers,
        settleTimeoutMs: 150_000,
        openTransactionMs: [90_000, 135_000],
        log: (line) => console.log(line),
      });
      console.log(summarize(report));
      if (!report.ok) console.error(describeViolations(report, 40));
      // Every fault class was injected (and restored) in this seed.
      expect(new Set(report.injected.map((i) => i.planned.kind))).toEqual(new Set(FAULT_KINDS));
      expect(report.injected.filter((i) => i.note.startsWith("failed"))).toEqual([]);
      expect(report.placed).toBe(ORDERS);
      const open = report.violations.filter((v) => KNOWN_OPEN[v.kind]);
      for (const v of open) console.warn(`KNOWN OPEN (${KNOWN_OPEN[v.kind]}): ${v.kind} ${v.orderId ?? ""}: ${v.detail}`);
      // The checker's own problems repeat a known-open money violation ("cancelled but payment still PENDING").
      const openOrders = new Set(open.map((v) => v.orderId));
      expect(report.problems.filter((p) => !openOrders.has(p.split(":")[0] ?? ""))).toEqual([]);
      expect(report.violations.filter((v) => !KNOWN_OPEN[v.kind]).map((v) => `${v.kind} ${v.orderId ?? ""}: ${v.detail}`)).toEqual([]);
    }, 540_000);
  }
});
