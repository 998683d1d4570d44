/*
 * Exact formatting of the dashboard's figures: token amounts from wei with every digit kept (no
 * rounding that could disagree with the chain), bytes as an exact count with a binary-unit hint.
 */

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * A token amount in wei (decimal string) as tokens, exact: the integer part grouped by thousands,
 * the fraction without trailing zeros.
 *
 * @example
 * formatTokens('1500000000000000000'); // '1.5'
 * formatTokens('1234000000000000000000'); // '1,234'
 * formatTokens('1'); // '0.000000000000000001'
 */
export function formatTokens(wei: string, decimals = 18): string {
  if (!/^-?\d+$/.test(wei)) return wei;
  const negative = wei.startsWith('-');
  const digits = (negative ? wei.slice(1) : wei).replace(/^0+(?=\d)/, '').padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${group(whole)}${fraction ? `.${fraction}` : ''}`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * A byte count, exact, with a binary-unit hint for large ones.
 *
 * @example
 * formatBytes(1536); // '1,536 bytes (1.5 KiB)'
 * formatBytes(12); // '12 bytes'
 */
export function formatBytes(bytes: number | string): string {
  const n = Number(bytes);
  const exact = `${group(String(bytes))} bytes`;
  if (!Number.isFinite(n) || n < 1024) return exact;
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${exact} (${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]})`;
}

/**
 * A whole number (decimal string or number) grouped by thousands.
 *
 * @example
 * formatCount('12345'); // '12,345'
 */
export function formatCount(value: number | string): string {
  return /^\d+$/.test(String(value)) ? group(String(value)) : String(value);
}

/**
 * A duration in seconds as days, hours, minutes and seconds.
 *
 * @example
 * formatDuration(90061); // '1 d 1 h 1 min 1 s'
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  parts.push(`${s % 60} s`);
  return parts.join(' ');
}
