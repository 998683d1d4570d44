import fs from 'node:fs';

/**
 * Peak resident set size of a process in MB (Linux `VmHWM`), or `undefined` where /proc is missing.
 *
 * @example
 * peakRssMB(process.pid); // 92.4
 */
export function peakRssMB(pid: number | 'self'): number | undefined {
  try {
    const m = /VmHWM:\s+([0-9]+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}
