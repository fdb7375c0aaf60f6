import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createInventoryApp, type InventoryApp, type InventoryAppOptions } from "./app.ts";

export interface RunningInventory extends InventoryApp {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the simulator on a real loopback port (0 = any free port). */
export async function startInventorySimulator(
  options: InventoryAppOptions & { port?: number; host?: string } = {},
): Promise<RunningInventory> {
  const sim = createInventoryApp(options);
  const host = options.host ?? "127.0.0.1";
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: sim.app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...sim,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive sockets from clients would hold close() open; drop them.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
