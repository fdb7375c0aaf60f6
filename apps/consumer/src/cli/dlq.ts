import {
  createIdempotentProducer,
  createKafka,
  type DeadLetterFilter,
  readDeadLetters,
  redriveDeadLetters,
  type StoredDeadLetter,
} from "@orders/kafka";
import { createProgress } from "@orders/runtime";

export interface DlqCliOptions {
  readonly brokers: readonly string[];
  /** Consumed topics whose `<topic>.dlq` is read. */
  readonly topics: readonly string[];
  readonly filter: DeadLetterFilter;
  readonly json: boolean;
  readonly limit?: number;
  /** Print progress on stderr (tests turn it off). */
  readonly progress?: boolean;
  readonly write?: (text: string) => void;
}

const kafkaFor = (brokers: readonly string[]) => createKafka({ brokers, clientId: `consumer-admin-${process.pid}`, logLevel: "error" });

/** Letters of every topic that match, oldest first within each topic. */
async function collect(options: DlqCliOptions, label: string): Promise<StoredDeadLetter[]> {
  const kafka = kafkaFor(options.brokers);
  const progress = options.progress === false ? null : createProgress(label);
  const out: StoredDeadLetter[] = [];
  for (const topic of options.topics) {
    const letters = await readDeadLetters(kafka, topic, options.filter, {
      ...(progress ? { onProgress: (read, total) => progress.update(read, total) } : {}),
    });
    out.push(...letters);
  }
  progress?.finish();
  return options.limit !== undefined ? out.slice(0, options.limit) : out;
}

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString("utf8"));

/** JSON shape of a letter (value as text; the bytes go back unchanged on re-drive). */
const asJson = (l: StoredDeadLetter, withValue: boolean) => ({
  dlq: `${l.dlqTopic}/${l.dlqPartition}@${l.dlqOffset}`,
  originalTopic: l.originalTopic,
  originalPartition: l.originalPartition,
  originalOffset: l.originalOffset,
  reason: l.reason,
  detail: l.detail,
  at: l.at.toISOString(),
  orderId: l.orderId,
  messageId: l.messageId,
  type: l.headers.ce_type ?? null,
  ...(withValue ? { headers: l.headers, value: text(l.value) } : {}),
});

const line = (l: StoredDeadLetter) =>
  `${l.at.toISOString()}  ${`${l.dlqTopic}/${l.dlqPartition}@${l.dlqOffset}`.padEnd(24)}  ${l.reason.padEnd(15)}  ${(l.headers.ce_type ?? "-").padEnd(18)}  ${(l.orderId ?? "-").padEnd(36)}  ${l.messageId ?? "-"}  ${l.detail.slice(0, 120)}`;

/** `consumer-admin dlq list`: one line per letter. Returns how many matched. */
export async function runDlqList(options: DlqCliOptions): Promise<number> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const letters = await collect(options, "dlq list");
  if (options.json) write(`${JSON.stringify({ count: letters.length, letters: letters.map((l) => asJson(l, false)) })}\n`);
  else {
    write(`${letters.length} dead letter(s)\n`);
    for (const l of letters) write(`${line(l)}\n`);
  }
  return letters.length;
}

/** `consumer-admin dlq show`: every field, headers and the value of each match. */
export async function runDlqShow(options: DlqCliOptions): Promise<number> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const letters = await collect(options, "dlq show");
  if (options.json) write(`${JSON.stringify({ count: letters.length, letters: letters.map((l) => asJson(l, true)) })}\n`);
  else {
    for (const l of letters) {
      write(`${line(l)}\n  headers: ${JSON.stringify(l.headers)}\n  value:   ${text(l.value)}\n\n`);
    }
    write(`${letters.length} dead letter(s)\n`);
  }
  return letters.length;
}

/**
 * `consumer-admin dlq redrive`: sends each match back to its original topic with its original
 * key, value and headers (dlq_* removed). Safe to repeat: the inbox drops a message id it applied.
 */
export async function runDlqRedrive(options: DlqCliOptions & { readonly dryRun: boolean }): Promise<number> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const letters = await collect(options, "dlq read");
  let sent = 0;
  if (!options.dryRun && letters.length > 0) {
    const producer = createIdempotentProducer(kafkaFor(options.brokers));
    await producer.connect();
    const progress = options.progress === false ? null : createProgress("dlq redrive");
    try {
      sent = await redriveDeadLetters(producer, letters, { onProgress: (n) => progress?.update(n, letters.length) });
    } finally {
      progress?.finish();
      await producer.disconnect();
    }
  }
  if (options.json) {
    write(`${JSON.stringify({ dryRun: options.dryRun, matched: letters.length, sent, letters: letters.map((l) => asJson(l, false)) })}\n`);
  } else {
    for (const l of letters) write(`${options.dryRun ? "would re-drive" : "re-driven"}  ${line(l)}\n`);
    write(
      options.dryRun
        ? `${letters.length} dead letter(s) would be re-driven (dry run: nothing sent)\n`
        : `${sent} dead letter(s) re-driven to their original topics\n`,
    );
  }
  return sent;
}
