import type { Logger } from "@orders/runtime";
import pg from "pg";

/** The channel the outbox trigger notifies on every insert statement (migrations/0002). */
export const OUTBOX_CHANNEL = "outbox_inserted";

export interface Notifier {
  stop(): Promise<void>;
}

/**
 * LISTEN on a dedicated connection; calls `onNotify` for every notification and after every
 * (re)connect (a notification sent while disconnected is lost, so assume there is work).
 */
export function listenForOutbox(connectionString: string, onNotify: () => void, logger: Logger): Notifier {
  let stopped = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = 250;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString, application_name: "relay-listen" });
    client = c;
    c.on("notification", () => onNotify());
    c.on("error", (error) => {
      logger.warn("LISTEN connection lost, reconnecting", { err: error });
      reconnect(c);
    });
    c.on("end", () => reconnect(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
      delay = 250;
      onNotify();
    } catch (error) {
      logger.warn("LISTEN failed, retrying", { err: error, delayMs: delay });
      reconnect(c);
    }
  };

  const reconnect = (c: pg.Client) => {
    if (stopped || client !== c || retryTimer) return;
    client = undefined;
    c.end().catch(() => {});
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, 5_000);
  };

  void connect();
  return {
    stop: async () => {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
