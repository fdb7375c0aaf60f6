import { deleteProcessedMessagesBefore, type Pool } from "@orders/db";

export interface ProcessedMessagesRetentionOptions {
  /**
   * How long an applied message id is remembered. Must exceed the longest a record can come
   * back: the consumed topics' retention (a reset or replay of old offsets), a DLQ re-drive
   * (docs/operations.md). Older ids are forgotten: such a record would apply again.
   */
  readonly retentionMs: number;
  readonly batchSize?: number;
  readonly now?: () => Date;
}

/** Deletes inbox rows older than the retention window; returns how many went. The one owner of this chore. */
export async function pruneProcessedMessages(pool: Pool, options: ProcessedMessagesRetentionOptions): Promise<{ deleted: number }> {
  const before = new Date((options.now?.() ?? new Date()).getTime() - options.retentionMs);
  const deleted = await deleteProcessedMessagesBefore(pool, before, { batchSize: options.batchSize ?? 5_000 });
  return { deleted };
}
