import { prometheus } from "@orders/runtime";
import type { Registry } from "prom-client";
import type { ReconcileReport } from "./reconcile-payments.ts";

/** Metrics of the saga's jobs in the process that works them (the consumer's GET /metrics). */
export function sagaJobMetrics(registry: Registry) {
  const jobSeconds = new prometheus.Histogram({
    name: "consumer_job_seconds",
    help: "Saga job run time by queue and outcome",
    labelNames: ["queue", "outcome"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const reconcileChecked = new prometheus.Counter({
    name: "consumer_payment_reconcile_checked_total",
    help: "Orders compared with the payment service's record by reconciliation",
    registers: [registry],
  });
  const reconcileMismatches = new prometheus.Counter({
    name: "consumer_payment_reconcile_mismatches_total",
    help: "Disagreements between an order's payment and the payment service's record, by kind",
    labelNames: ["mismatch"],
    registers: [registry],
  });
  const reconcileRepairs = new prometheus.Counter({
    name: "consumer_payment_reconcile_repairs_total",
    help: "What reconciliation did about each mismatch (repaired, reported for a human, failed and retried next run)",
    labelNames: ["mismatch", "result"],
    registers: [registry],
  });
  const lastSuccess = new prometheus.Gauge({
    name: "consumer_job_last_success_timestamp_seconds",
    help: "Unix time a saga job of this queue last finished without error in this process (scheduled chores: deadline sweep, reconciliation, retention)",
    labelNames: ["queue"],
    registers: [registry],
  });
  let breakerState: (() => number) | null = null;
  new prometheus.Gauge({
    name: "consumer_payment_circuit_state",
    help: "Payment service circuit breaker of this process: 0 closed, 1 open, 2 half-open, 3 isolated",
    registers: [registry],
    collect() {
      if (breakerState) this.set(breakerState());
    },
  });
  return {
    onJob: (queue: string, outcome: string, seconds: number) => {
      jobSeconds.observe({ queue, outcome }, seconds);
      if (outcome !== "failed") lastSuccess.set({ queue }, Date.now() / 1000);
    },
    /** Reports the payment breaker's state (cockatiel CircuitState) on /metrics. */
    watchPaymentBreaker: (state: () => number) => {
      breakerState = state;
    },
    onReconcileReport: (report: ReconcileReport) => {
      reconcileChecked.inc(report.checked);
      for (const f of report.findings) {
        reconcileMismatches.inc({ mismatch: f.mismatch });
        reconcileRepairs.inc({ mismatch: f.mismatch, result: f.result });
      }
    },
  };
}
