import type { Admin } from "kafkajs";
import { createKafka } from "./client.ts";

/** A cheap "is the cluster reachable now?" for readiness checks. */
export interface KafkaProbe {
  /** Resolves when a broker answered a metadata request; rejects otherwise. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An admin client of its own with no client-side retries (the readiness check is retried by
 * whoever polls it), asking the cluster for its brokers. After a failure the admin is dropped
 * and the next probe connects afresh, so a broker that came back is seen at once.
 */
export function createKafkaProbe(options: { brokers: readonly string[]; clientId: string }): KafkaProbe {
  const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId, logLevel: "nothing", retries: 0 });
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  const drop = () => {
    const stale = admin;
    admin = undefined;
    connected = undefined;
    void stale?.disconnect().catch(() => {});
  };
  return {
    probe: async () => {
      admin ??= kafka.admin({ retry: { retries: 0 } });
      const current = admin;
      connected ??= current.connect();
      try {
        await connected;
        await current.describeCluster();
      } catch (error) {
        if (admin === current) drop();
        throw error;
      }
    },
    close: async () => {
      const current = admin;
      admin = undefined;
      connected = undefined;
      await current?.disconnect().catch(() => {});
    },
  };
}

/** A start-up probe: an admin client with no client-side retries connects once and disconnects. */
export async function connectOnce(options: { brokers: readonly string[]; clientId: string }): Promise<void> {
  const admin = createKafka({ brokers: options.brokers, clientId: options.clientId, retries: 0 }).admin();
  await admin.connect();
  await admin.disconnect();
}
