import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { OutgoingRecord } from "@orders/kafka";
import { buildCallPolicy } from "@orders/runtime";
import { type ChaosEmitter, createPaymentApp, FaultInjector, PaymentService } from "@orders/simulators";

/** A call policy for tests against the simulator: no retries, a breaker that never opens. */
export const singleCallPolicy = () =>
  buildCallPolicy({
    timeoutMs: 1_000,
    retries: 0,
    initialDelayMs: 10,
    maxDelayMs: 10,
    breakerThreshold: 1_000,
    halfOpenAfterMs: 1_000,
  }).policy;

/**
 * The real payment simulator over HTTP on a free local port, answering at once and never failing
 * on its own, with every answer it would put on `payments` kept in `answers` instead.
 */
export const paymentSimulator = () => {
  const answers: OutgoingRecord[] = [];
  const service = new PaymentService({
    emitter: { emit: (r: OutgoingRecord) => answers.push(r) } as unknown as ChaosEmitter,
    failureRate: 0,
    retryableShare: 0,
    minDelayMs: 0,
    maxDelayMs: 0,
  });
  const faults = new FaultInjector();
  let server: ReturnType<typeof serve> | undefined;
  return {
    answers,
    service,
    faults,
    /** Starts the HTTP side; resolves to its base URL. */
    start: async (): Promise<string> => {
      const app = createPaymentApp(service, faults, { sent: 0, duplicated: 0, settings: {} } as unknown as ChaosEmitter);
      const s = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
      });
      server = s;
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    },
    stop: () => {
      service.stop();
      server?.close();
    },
  };
};
