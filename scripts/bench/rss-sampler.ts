import fs from 'node:fs';

/**
 * Samples the resident set (Linux `VmRSS`) of some processes every `intervalMs` and keeps each
 * one's highest value, in MB, so that a phase of a benchmark gets its own peaks (a process's
 * `VmHWM` covers its whole life). Processes without /proc entries are skipped.
 *
 * @example
 * const sampler = sampleRss({ pids: nodes.map((n) => n.child.pid ?? 0) });
 * await runPhase();
 * const peaks = sampler.stop(); // [142.1, 139.8, …] in the order of `pids`
 */
export function sampleRss(params: { pids: number[]; intervalMs?: number }): { stop: () => (number | undefined)[] } {
  const peaks: (number | undefined)[] = params.pids.map(() => undefined);
  const sample = () => {
    params.pids.forEach((pid, i) => {
      try {
        const m = /VmRSS:\s+([0-9]+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peaks[i] = Math.max(peaks[i] ?? 0, Math.round((Number(m[1]) / 1024) * 10) / 10);
      } catch {
        // gone or not Linux
      }
    });
  };
  sample();
  const timer = setInterval(sample, params.intervalMs ?? 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
