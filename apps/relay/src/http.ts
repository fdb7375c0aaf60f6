import { createServer, type Server } from "node:http";
import { type Readiness, readinessResponse } from "@orders/runtime";
import type { Registry } from "prom-client";

/** `/metrics` (Prometheus text), `/healthz` and `/readyz` on a small HTTP server of its own. */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host: string,
  readiness?: Readiness,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/metrics") {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        })
        .catch((error: Error) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(error.message);
        });
      return;
    }
    if (req.url === "/readyz" && readiness) {
      void readiness.check().then((report) => {
        const { status, body } = readinessResponse(report);
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      });
      return;
    }
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${boundPort}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
