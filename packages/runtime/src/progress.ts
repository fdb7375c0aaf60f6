/**
 * Progress on stderr: a redrawn bar with rate and ETA on a terminal; elsewhere (pipes, CI) a
 * plain line every `intervalMs`, and only once the run has lasted that long — short runs stay
 * silent so scripts get clean output.
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
};

export function progressLine(done: number, total: number, elapsedMs: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  return `${bar} ${(ratio * 100).toFixed(1).padStart(5)}% ${done}/${total} ${Math.round(rate)}/s ETA ${done >= total ? "0s" : formatDuration(eta)}`;
}

export function createProgress(
  label: string,
  options: { stream?: NodeJS.WriteStream; tty?: boolean; intervalMs?: number; now?: () => number } = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const intervalMs = options.intervalMs ?? 5_000;
  const now = options.now ?? Date.now;
  const started = now();
  let lastDraw = tty ? 0 : started;
  let last = { done: 0, total: 0 };
  let drawn = false;
  const draw = (final: boolean) => {
    const line = `${label} ${progressLine(last.done, last.total, now() - started)}`;
    if (tty) stream.write(`\r${line}\u001b[K${final ? "\n" : ""}`);
    else stream.write(`${line}\n`);
    drawn = true;
  };
  return {
    update: (done, total) => {
      last = { done, total };
      const t = now();
      if (t - lastDraw >= (tty ? 100 : intervalMs)) {
        lastDraw = t;
        draw(false);
      }
    },
    finish: () => {
      if (drawn) draw(true);
    },
  };
}
