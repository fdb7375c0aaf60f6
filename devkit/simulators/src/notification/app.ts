import type { IncomingMessage, ServerResponse } from "node:http";
import type { prometheus } from "@orders/runtime";
import type { NotificationService } from "./notification-service.ts";

/**
 * The notification service's inspection API (its sink is readable, not mailed):
 * `GET /admin/sent[?orderId=]` every message sent, `GET /admin/gaps` sequence gaps seen,
 * `GET /admin/orders/{id}` the events of one order in arrival order, `GET /admin/stats`,
 * `GET /metrics` (Prometheus), `GET /healthz`.
 */
export function notificationHandler(service: NotificationService, registry: prometheus.Registry) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method !== "GET") return void json(405, { error: "method not allowed" });
    if (url.pathname === "/admin/sent") return void json(200, { items: service.sent(url.searchParams.get("orderId") ?? undefined) });
    if (url.pathname === "/admin/gaps") return void json(200, { items: service.gaps(), open: service.openGaps() });
    if (url.pathname === "/admin/stats") return void json(200, service.snapshot());
    const order = /^\/admin\/orders\/([^/]+)$/.exec(url.pathname);
    if (order) {
      const trail = service.trail(decodeURIComponent(order[1] as string));
      return void (trail ? json(200, trail) : json(404, { error: "no event of this order seen" }));
    }
    if (url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
      return;
    }
    if (url.pathname === "/healthz") return void json(200, { status: "ok" });
    json(404, { error: "not found" });
  };
}
