import type { RelayStatus } from "@orders/outbox-relay";

const age = (seconds: number | null) =>
  seconds === null ? "-" : seconds < 120 ? `${seconds.toFixed(1)}s` : `${(seconds / 60).toFixed(1)}m`;
const ms = (seconds: number | null) => (seconds === null ? "-" : `${(seconds * 1000).toFixed(1)} ms`);

/** `relay status` for people: backlog, oldest age, parked rows, per-type counts, lag. */
export function formatStatus(s: RelayStatus): string {
  const lines = [
    `backlog            ${s.backlog} unpublished (${s.behindParked} behind a parked row of their order, ${s.retrying} retrying)`,
    `oldest unpublished ${age(s.oldestAgeSeconds)}${s.oldestSequence ? ` (sequence ${s.oldestSequence})` : ""}`,
    `parked             ${s.parked}${s.parked > 0 ? "  → inspect below, then `relay retry-failed`" : ""}`,
    `last 60 s          ${s.recent.published} published, commit→ack p50 ${ms(s.recent.p50Seconds)}, p99 ${ms(s.recent.p99Seconds)}`,
    "",
    "type                         unpublished     parked  published",
    ...s.types.map(
      (t) =>
        `${t.type.padEnd(28)} ${String(t.unpublished).padStart(11)} ${String(t.parked).padStart(10)} ${String(t.published).padStart(10)}`,
    ),
  ];
  if (s.parkedRows.length > 0) {
    lines.push("", "parked rows (oldest first):");
    for (const p of s.parkedRows) {
      lines.push(
        `  #${p.sequence} ${p.type} order ${p.aggregateId} id ${p.id} attempts ${p.attempts}: ${(p.lastError ?? "").slice(0, 160)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
