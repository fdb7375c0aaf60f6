import client from "prom-client";

/** One Prometheus registry per process; apps add their own metrics to it. */
export function createMetricsRegistry(service: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  return registry;
}

export { client as prometheus };
