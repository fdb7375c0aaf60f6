/** A job the code under test inserted, as pg-boss would receive it. */
export interface RecordedJob {
  readonly queue: string;
  readonly data: Record<string, unknown>;
}

/**
 * A stand-in for pg-boss's `insert` (the lifecycle's JobQueue) that records every job instead of
 * queueing it: pass `queue` where a JobQueue is wanted and assert on `jobs` (clear with `jobs.length = 0`).
 */
export const recordingJobQueue = () => {
  const jobs: RecordedJob[] = [];
  const queue = {
    insert: async (name: string, list: readonly { data?: object }[]): Promise<null> => {
      for (const j of list) jobs.push({ queue: name, data: j.data as Record<string, unknown> });
      return null;
    },
  };
  return { jobs, queue };
};
