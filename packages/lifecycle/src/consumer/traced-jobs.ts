import { traceparentOf } from "@orders/runtime";
import type { JobQueue } from "../follow-ups.ts";

/**
 * The job queue of one chunk, adding to each follow-up job the trace context of the message that
 * asked for it (`causedBy` is that message's id): the job's worker continues that trace
 * (jobs/job-span.ts). Jobs of untraced messages are inserted as they are.
 */
export function tracedJobQueue(jobs: JobQueue, traceByMessage: ReadonlyMap<string, string>): JobQueue {
  if (traceByMessage.size === 0) return jobs;
  const insert = (async (queue: string, list: { data?: object }[], options?: object) => {
    const traced = list.map((job) => {
      const causedBy = (job.data as { causedBy?: unknown } | undefined)?.causedBy;
      const traceparent = typeof causedBy === "string" ? traceByMessage.get(causedBy) : undefined;
      return traceparent ? { ...job, data: { ...job.data, traceparent } } : job;
    });
    return (jobs.insert as (q: string, l: object[], o?: object) => Promise<unknown>)(queue, traced, options);
  }) as JobQueue["insert"];
  return { insert };
}

/**
 * A job queue that stamps each job lacking one with the active trace context (an API request's
 * span: a cancel's refund job, a customer's payment retry), so its worker continues that trace.
 */
export function jobsInActiveTrace(jobs: JobQueue): JobQueue {
  const insert = (async (queue: string, list: { data?: object }[], options?: object) => {
    const traceparent = traceparentOf();
    const traced = traceparent
      ? list.map((job) =>
          (job.data as { traceparent?: unknown } | undefined)?.traceparent ? job : { ...job, data: { ...job.data, traceparent } },
        )
      : list;
    return (jobs.insert as (q: string, l: object[], o?: object) => Promise<unknown>)(queue, traced, options);
  }) as JobQueue["insert"];
  return { insert };
}
