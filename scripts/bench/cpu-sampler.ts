import fs from 'node:fs';

/** Clock ticks per second of Linux /proc/<pid>/stat times (USER_HZ, 100 on every Linux port that runs Node). */
const TICKS_PER_SECOND = 100;

/** User + system CPU ticks of a process so far, or `undefined` where /proc is missing. */
function cpuTicksOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Samples the CPU time (user + system) of some processes every `intervalMs`, so that the CPU
 * seconds each one spent in any window of wall-clock time can be read afterwards: what a phase of
 * a benchmark cost each node, the chain and the client on a machine whose cores they share.
 *
 * @example
 * const cpu = sampleCpu({ pids: nodes.map((n) => n.child.pid ?? 0) });
 * const t0 = Date.now(); await runPhase(); const t1 = Date.now();
 * cpu.between(t0, t1); // [3.1, 2.9, …] CPU seconds per pid, in the order of `pids`
 * cpu.stop();
 */
export function sampleCpu(params: { pids: number[]; intervalMs?: number }): {
  between: (fromMs: number, toMs: number) => number[];
  stop: () => void;
} {
  const samples: { at: number; ticks: (number | undefined)[] }[] = [];
  const sample = () => samples.push({ at: Date.now(), ticks: params.pids.map(cpuTicksOf) });
  sample();
  const timer = setInterval(sample, params.intervalMs ?? 100);
  // The last sample at or before `at` (or the first one).
  const at = (t: number) => {
    let found = samples[0];
    for (const s of samples) {
      if (s.at > t) break;
      found = s;
    }
    return found;
  };
  return {
    between: (fromMs, toMs) => {
      sample();
      const a = at(fromMs);
      const b = at(toMs);
      return params.pids.map((_, i) => Math.round((((b.ticks[i] ?? 0) - (a.ticks[i] ?? 0)) / TICKS_PER_SECOND) * 100) / 100);
    },
    stop: () => clearInterval(timer),
  };
}
