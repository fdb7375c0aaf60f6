import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { announceListening, env, inSpan, SpanKind } from "@orders/runtime";
import * as v from "valibot";
import { FaultInjector } from "../inventory/faults.ts";
import { rateEnv, SimulatorKafkaEnv } from "../kafka-side/config.ts";
import { startKafkaSide } from "../kafka-side/kafka-side.ts";
import { startSimulatorProcess } from "../run-service.ts";
import { createPaymentApp } from "./app.ts";
import { PaymentService } from "./payment-service.ts";

const Schema = v.object({
  ...SimulatorKafkaEnv,
  PORT: env.int(4002, 0, 65_535),
  HOST: env.string("127.0.0.1"),
  PAYMENT_FAILURE_RATE: rateEnv("0"),
  PAYMENT_RETRYABLE_SHARE: rateEnv("0.5"),
  PAYMENT_MIN_DELAY_MS: env.int(5, 0, 600_000),
  PAYMENT_MAX_DELAY_MS: env.int(50, 0, 600_000),
  PAYMENT_HTTP_FAILURE_RATE: rateEnv("0"),
  PAYMENT_HTTP_LATENCY_MS: env.int(0, 0, 600_000),
});

const { config, logger, shutdown } = startSimulatorProcess(Schema, "payment-simulator");
const { emitter } = await startKafkaSide(config, shutdown, { clientId: "payment-simulator", answerTopic: (t) => t.payments });
const service = new PaymentService({
  emitter,
  failureRate: config.PAYMENT_FAILURE_RATE,
  retryableShare: config.PAYMENT_RETRYABLE_SHARE,
  minDelayMs: config.PAYMENT_MIN_DELAY_MS,
  maxDelayMs: config.PAYMENT_MAX_DELAY_MS,
});
shutdown.onShutdown("answers", () => service.stop());
const faults = new FaultInjector({
  mode: "up",
  failureRate: config.PAYMENT_HTTP_FAILURE_RATE,
  latencyMs: config.PAYMENT_HTTP_LATENCY_MS,
  flapEvery: 1,
});
const app = createPaymentApp(service, faults, emitter);
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  // Each request in a server span continuing the caller's traceparent: the answer it emits carries it.
  const fetch = (req: Request) =>
    inSpan(
      `${req.method} ${new URL(req.url).pathname}`,
      { kind: SpanKind.SERVER, parent: { traceparent: req.headers.get("traceparent") } },
      async () => app.fetch(req),
    );
  const s = serve({ fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
});
shutdown.onShutdown("http", () => new Promise<void>((r) => server.close(() => r())));
const { port } = server.address() as AddressInfo;
const url = `http://${config.HOST}:${port}`;
logger.info("payment simulator listening", { url, chaos: emitter.settings });
announceListening("payment-simulator", url);
