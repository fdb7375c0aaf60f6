/**
 * Tells a supervising parent process where this service listens, once it does.
 *
 * The local stack (tests, demo, benchmarks) starts every service with `PORT=0` and learns the
 * port the kernel bound over Node's IPC channel. Choosing ports in the parent and passing them
 * down is racy: between the parent's probe and the child's `listen` any other process may take
 * the port, and a health check could then reach a stranger's server. Without a parent IPC
 * channel (production) this does nothing.
 */
export function announceListening(service: string, url: string): void {
  if (typeof process.send !== "function" || !process.connected) return;
  try {
    process.send({ type: "listening", service, url });
  } catch {
    // The parent went away; nothing depends on the announcement then.
  }
  // The channel must not keep the process alive past its own shutdown.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}

/** The message `announceListening` sends; the supervisor checks it with this guard. */
export interface ListeningAnnouncement {
  readonly type: "listening";
  readonly service: string;
  readonly url: string;
}

export function isListeningAnnouncement(message: unknown): message is ListeningAnnouncement {
  if (typeof message !== "object" || message === null) return false;
  const m = message as Record<string, unknown>;
  return m.type === "listening" && typeof m.service === "string" && typeof m.url === "string";
}
