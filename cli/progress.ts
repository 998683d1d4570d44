import { formatBytes } from './sizes';

/** What a long operation reports. */
export interface ProgressEvent {
  phase: string;
  bytes: number;
  totalBytes: number;
}

/**
 * A progress bar on a terminal (bytes, MB/s, ETA), redrawn at most ten times a second; silent when
 * the stream is not a terminal, so pipes and `--json` output stay clean.
 *
 * @example
 * const bar = progressBar({ stream: process.stderr, label: 'upload' });
 * await upload(deps, { …, onProgress: bar.update });
 * bar.done();
 */
export function progressBar(params: { stream: NodeJS.WriteStream; label: string; now?: () => number }) {
  const now = params.now ?? (() => performance.now());
  const enabled = Boolean(params.stream.isTTY);
  const started = now();
  let lastDraw = 0;
  let last: ProgressEvent | undefined;
  const draw = (final: boolean) => {
    if (!enabled || !last) return;
    const elapsed = Math.max((now() - started) / 1000, 1e-3);
    const rate = last.bytes / elapsed;
    const total = Math.max(last.totalBytes, 1);
    const ratio = Math.min(last.bytes / total, 1);
    const width = 24;
    const filled = Math.round(ratio * width);
    const eta = rate > 0 ? (last.totalBytes - last.bytes) / rate : 0;
    const line = `${params.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(last.bytes)}/${formatBytes(last.totalBytes)} ${(rate / 1e6).toFixed(1)} MB/s ETA ${final ? 0 : Math.ceil(eta)}s`;
    params.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
  };
  return {
    update: (event: ProgressEvent) => {
      last = event;
      const t = now();
      if (t - lastDraw >= 100) {
        lastDraw = t;
        draw(false);
      }
    },
    done: () => draw(true),
  };
}
