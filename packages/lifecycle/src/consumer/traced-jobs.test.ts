import { describe, expect, it } from "vitest";
import type { JobQueue } from "../follow-ups.ts";
import { tracedJobQueue } from "./traced-jobs.ts";

describe("tracedJobQueue", () => {
  it("adds the trace of the message that asked for each job to its data, and leaves untraced jobs alone", async () => {
    const inserted: { queue: string; list: { data?: object }[] }[] = [];
    const base = {
      insert: async (queue: string, list: { data?: object }[]) => {
        inserted.push({ queue, list });
        return null;
      },
    } as unknown as JobQueue;
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const jobs = tracedJobQueue(base, new Map([["m1", tp]]));
    await jobs.insert("payment-initiate", [
      { data: { orderId: "o1", attempt: 1, causedBy: "m1" } },
      { data: { orderId: "o2", attempt: 1, causedBy: "m2" } },
    ]);
    expect(inserted).toEqual([
      {
        queue: "payment-initiate",
        list: [
          { data: { orderId: "o1", attempt: 1, causedBy: "m1", traceparent: tp } },
          { data: { orderId: "o2", attempt: 1, causedBy: "m2" } },
        ],
      },
    ]);
    expect(tracedJobQueue(base, new Map())).toBe(base);
  });
});
