import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { type PipelineHealth, pipelineHealthResponse } from "./pipeline-health.ts";
import { type Readiness, readinessResponse } from "./readiness.ts";

export interface OpsServer {
  /** Base URL (`http://host:port`), loopback when bound to every interface. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The operations endpoints of a worker process (relay, consumer) on a small HTTP server of its
 * own: `/metrics` (Prometheus text), `/healthz` (the process runs) and `/readyz` (every
 * dependency answers now; 503 otherwise). The API serves the same paths from its own app.
 * With `pipeline`, also `/health/pipeline` (work flowing within its bounds; 503 "degraded").
 */
export async function serveOps(options: {
  readonly registry: Registry;
  readonly port: number;
  readonly host: string;
  readonly readiness: Readiness;
  readonly pipeline?: PipelineHealth;
}): Promise<OpsServer> {
  const { registry, readiness } = options;
  const server: Server = createServer((req, res) => {
    const answer = (status: number, contentType: string, body: string) => res.writeHead(status, { "content-type": contentType }).end(body);
    if (req.url === "/metrics") {
      registry.metrics().then(
        (text) => answer(200, registry.contentType, text),
        (error: Error) => answer(500, "text/plain", error.message),
      );
    } else if (req.url === "/readyz") {
      void readiness.check().then((report) => {
        const { status, body } = readinessResponse(report);
        answer(status, "application/json", body);
      });
    } else if (req.url === "/health/pipeline" && options.pipeline) {
      void options.pipeline.check().then((report) => {
        const { status, body } = pipelineHealthResponse(report);
        answer(status, "application/json", body);
      });
    } else if (req.url === "/healthz") {
      answer(200, "application/json", '{"status":"ok"}');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
