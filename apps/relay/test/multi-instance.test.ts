import { kafkaBrokers, useFreshDatabase } from "@orders/testkit";
import { describe, expect, it } from "vitest";
import type { RunningRelay } from "../src/wiring.ts";
import { createTopic, insertEvents, makeEvents, newTopic, readTopic, startTestRelay, unpublishedCount, waitFor } from "./helpers.ts";

const EVENTS = 20_000;
const ORDERS = 500;

const db = useFreshDatabase("relay-multi");

describe("three relay instances", () => {
  it(`publish ${EVENTS} events of ${ORDERS} orders exactly once each, every order's events in sequence order`, async () => {
    const topic = newTopic("multi");
    const kafka = await createTopic(kafkaBrokers(), topic, 6);
    const published = [0, 0, 0];
    const relays: RunningRelay[] = [];
    for (const i of [0, 1, 2]) {
      relays.push(
        await startTestRelay(
          db.url,
          topic,
          { RELAY_BATCH_SIZE: "500" },
          {
            onBatch: (r) => {
              published[i] = (published[i] ?? 0) + r.published;
            },
          },
        ),
      );
    }
    try {
      const events = makeEvents(EVENTS, ORDERS);
      // Written while the relays run, in 100 transactions of 200 rows, every one of them
      // touching most orders: the instances constantly meet rows of the same order.
      for (let i = 0; i < events.length; i += 200) await insertEvents(db.pool, events.slice(i, i + 200));
      await waitFor(async () => (await unpublishedCount(db.pool)) === 0, 150_000, "outbox drained");
      const records = await readTopic(kafka, topic, (r) => r.length >= EVENTS, 60_000);

      expect(records).toHaveLength(EVENTS);
      expect(new Set(records.map((r) => r.headers.ce_id)).size).toBe(EVENTS);
      // Each order's records, in partition offset order, carry n = 0, 1, 2, … without a gap or swap.
      const byKey = new Map<string, number[]>();
      for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
        const list = byKey.get(r.key) ?? [];
        list.push((JSON.parse(r.value) as { n: number }).n);
        byKey.set(r.key, list);
      }
      expect(byKey.size).toBe(ORDERS);
      const broken = [...byKey.entries()].filter(([, ns]) => ns.some((n, i) => n !== i));
      expect(broken).toEqual([]);
      // The work was shared: every instance published part of it.
      expect(published.reduce((a, b) => a + b, 0)).toBe(EVENTS);
      for (const count of published) expect(count).toBeGreaterThan(0);
      console.log(`published per instance: ${published.join(", ")}`);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });
});
