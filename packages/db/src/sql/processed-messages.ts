import type { Query } from "./query.ts";

/**
 * Claims message ids for a consumer; returns the ids that were new. An id already present
 * (or repeated within the same call) is a duplicate: ON CONFLICT DO NOTHING leaves it out.
 */
export const claimMessages = (consumer: string, messageIds: readonly string[]): Query => ({
  name: "processed_messages.claim",
  text: `INSERT INTO processed_messages (consumer, message_id)
         SELECT $1, m FROM unnest($2::text[]) AS m
         ON CONFLICT DO NOTHING
         RETURNING message_id`,
  values: [consumer, messageIds],
});

export const countProcessedMessages = (consumer: string): Query => ({
  text: "SELECT count(*)::int AS n FROM processed_messages WHERE consumer = $1",
  values: [consumer],
});

/** Retention: rows older than the broker keeps records can never see a redelivery. */
export const deleteProcessedMessagesBefore = (before: Date, limit: number): Query => ({
  text: `DELETE FROM processed_messages WHERE ctid IN (
           SELECT ctid FROM processed_messages WHERE processed_at < $1 LIMIT $2)`,
  values: [before, limit],
});
