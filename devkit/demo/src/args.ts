import { parseArgs } from "node:util";

export interface DemoArgs {
  readonly orders: number;
  readonly concurrency: number;
  readonly consumers: number;
  readonly chaos: boolean;
  readonly cancelRate: number;
  readonly partialCancelRate: number;
  readonly returnRate: number;
  readonly timeoutSeconds: number;
  readonly keepLogs: boolean;
}

const HELP = `usage: npm run demo -- [--orders N] [--concurrency N] [--consumers N] [--no-chaos] [--cancel-rate 0..1]
                     [--partial-cancel-rate 0..1] [--return-rate 0..1] [--timeout S]
  --orders       orders to place (default 300)
  --concurrency  parallel API clients (default 8)
  --consumers    consumer instances in the group (default 2)
  --no-chaos     simulators send each answer once, in order (default: 10 % duplicates, reordering)
  --cancel-rate  share of orders the users cancel (default 0.05)
  --partial-cancel-rate  share of orders with one unit cancelled once confirmed (default 0.05)
  --return-rate  share of delivered orders returned: full, partial or damaged in turn (default 0.1)
  --timeout      give up after S seconds (default 600)`;

export function parseDemoArgs(argv: string[]): DemoArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      orders: { type: "string", default: "300" },
      concurrency: { type: "string", default: "8" },
      consumers: { type: "string", default: "2" },
      "no-chaos": { type: "boolean", default: false },
      "cancel-rate": { type: "string", default: "0.05" },
      "partial-cancel-rate": { type: "string", default: "0.05" },
      "return-rate": { type: "string", default: "0.1" },
      timeout: { type: "string", default: "600" },
      "keep-logs": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const num = (name: string, s: string, min: number, max: number) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < min || n > max) {
      process.stderr.write(`--${name} must be a number in ${min}..${max}\n${HELP}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    orders: Math.floor(num("orders", values.orders, 1, 1_000_000)),
    concurrency: Math.floor(num("concurrency", values.concurrency, 1, 256)),
    consumers: Math.floor(num("consumers", values.consumers, 1, 8)),
    chaos: !values["no-chaos"],
    cancelRate: num("cancel-rate", values["cancel-rate"], 0, 1),
    partialCancelRate: num("partial-cancel-rate", values["partial-cancel-rate"], 0, 1),
    returnRate: num("return-rate", values["return-rate"], 0, 1),
    timeoutSeconds: num("timeout", values.timeout, 10, 86_400),
    keepLogs: values["keep-logs"],
  };
}
