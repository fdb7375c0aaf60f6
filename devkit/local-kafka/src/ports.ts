import { createServer } from "node:net";

/**
 * Ports are drawn below Linux's ephemeral range (32768+): a port the kernel handed to us via
 * `listen(0)` could, after we release it, be reused as the source port of some outgoing
 * connection, and the broker must get the same ports back on `restart()`.
 */
const LOW = 20_000;
const HIGH = 32_000;

export async function freePorts(host: string, count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 200) throw new Error(`local-kafka: no free port on ${host} in ${LOW}-${HIGH}`);
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (!ports.includes(port) && (await canBind(host, port))) ports.push(port);
  }
  return ports;
}

export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
