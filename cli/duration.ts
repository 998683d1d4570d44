import { UsageError } from './errors';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/**
 * Parses a lifetime such as `90s`, `30m`, `12h`, `1d`, `2w` or a bare number of seconds.
 * Throws `UsageError` for anything else, zero, or more than ten years.
 *
 * @example
 * parseDuration('1d'); // 86400
 */
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]{0,9})([smhdw]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not a duration: use e.g. 90s, 30m, 12h, 1d, 2w`);
  const seconds = Number(match[1]) * UNITS[match[2] || 's'];
  if (seconds > 10 * 365 * 86_400) throw new UsageError(`"${text}" is longer than ten years`);
  return seconds;
}
