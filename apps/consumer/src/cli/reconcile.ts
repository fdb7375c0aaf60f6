import { createPool } from "@orders/db";
import { httpPaymentClient, type ReconcileFinding, reconcilePayments, startSagaBoss } from "@orders/lifecycle";
import { buildCallPolicy, createLogger, createProgress, DEFAULT_HTTP_POLICY } from "@orders/runtime";

export interface ReconcileCliOptions {
  readonly json: boolean;
  readonly dryRun: boolean;
  readonly minAgeMs: number;
  readonly pendingBoundMs: number;
  readonly lookbackMs: number;
  readonly limit: number;
}

/** The `source` the decision table stamps on events a repair publishes (OrderConfirmed). */
const SOURCE = "/order-service/consumer";

/**
 * `consumer-admin reconcile`: one reconciliation run from an operator's shell, the same code as the
 * scheduled job. Returns how many mismatches are still there afterwards (dry run: all of them).
 */
export async function runReconcile(databaseUrl: string, paymentUrl: string, options: ReconcileCliOptions): Promise<number> {
  const pool = createPool({ connectionString: databaseUrl, max: 2, applicationName: "consumer-admin" });
  // Logs go to stderr at warn: stdout carries the report only.
  const logger = createLogger({ service: "consumer-admin", level: "warn", write: (line) => process.stderr.write(line) });
  const progress = createProgress(options.dryRun ? "reconcile (dry run)" : "reconcile");
  // Send-only pg-boss: a repair's follow-up (the refund of a capture found on a cancelled order)
  // is a job in the repair's own transaction, worked by the running consumers.
  const boss = await startSagaBoss({ connectionString: databaseUrl, max: 2, supervise: false, schedule: false });
  try {
    const { policy } = buildCallPolicy(DEFAULT_HTTP_POLICY);
    const report = await reconcilePayments(
      {
        pool,
        payments: httpPaymentClient(paymentUrl, policy),
        logger,
        apply: {
          source: SOURCE,
          // Repairs never apply a PaymentFailed, the one event that consults the attempt limit.
          decision: { maxPaymentAttempts: 1 },
          jobs: boss,
        },
      },
      { ...options, onProgress: (done, total) => progress.update(done, total) },
    );
    progress.finish();
    const remaining = report.findings.filter((f) => f.result !== "repaired").length;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, ...report, remaining })}\n`);
    } else {
      process.stdout.write(formatReport(report.checked, report.unreachable, report.findings, options.dryRun));
    }
    return remaining;
  } finally {
    await boss.stop({ graceful: false, close: true });
    await pool.end();
  }
}

function formatReport(checked: number, unreachable: number, findings: readonly ReconcileFinding[], dryRun: boolean): string {
  const lines = [
    `${checked} order(s) compared with the payment service${unreachable > 0 ? `, ${unreachable} could not be asked` : ""}; ${findings.length} mismatch(es)${dryRun ? " (dry run: nothing changed)" : ""}`,
  ];
  if (findings.length > 0) {
    lines.push(
      "",
      "order                                 order/payment            service                                      mismatch              action → result",
    );
    for (const f of findings) {
      lines.push(
        `${f.orderId}  ${`${f.status}/${f.paymentStatus}`.padEnd(23)}  ${f.service.padEnd(43)}  ${f.mismatch.padEnd(20)}  ${f.repair} → ${f.result}${f.detail ? ` (${f.detail})` : ""}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
