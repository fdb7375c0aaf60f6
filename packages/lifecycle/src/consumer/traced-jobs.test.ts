import { inSpan } from "@orders/runtime";
import { describe, expect, it } from "vitest";
import type { JobQueue } from "../follow-ups.ts";
import { jobsInActiveTrace, tracedJobQueue } from "./traced-jobs.ts";

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

describe("jobsInActiveTrace", () => {
  it("stamps jobs inserted inside a span with its traceparent, and nothing outside one", async () => {
    const inserted: { data?: object }[][] = [];
    const base = {
      insert: async (_queue: string, list: { data?: object }[]) => {
        inserted.push(list);
        return null;
      },
    } as unknown as JobQueue;
    const jobs = jobsInActiveTrace(base);
    const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await inSpan("request", { parent: { traceparent: parent } }, () => jobs.insert("payment-refund", [{ data: { orderId: "o1" } }]));
    await jobs.insert("payment-refund", [{ data: { orderId: "o2" } }]);
    expect(inserted).toEqual([
      [{ data: { orderId: "o1", traceparent: expect.stringMatching(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/) } }],
      [{ data: { orderId: "o2" } }],
    ]);
  });
});
