import { UsageError } from './errors';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a human size such as `10GiB`, `500MB`, `1048576` into bytes.
 *
 * @example
 * parseSize('1MiB'); // 1048576
 */
export function parseSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`cannot read size "${text}": use bytes or a unit such as 512MiB, 10GiB, 1TB`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`size "${text}" is too large`);
  return bytes;
}

/**
 * Formats bytes for people (binary units).
 *
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/**
 * Parses a token amount with 18 decimals (`1000` or `1000.5`) into wei.
 *
 * @example
 * parseTokenAmount('1000'); // 1000000000000000000000n
 */
export function parseTokenAmount(text: string): bigint {
  const m = /^\s*([0-9]+)(?:\.([0-9]{1,18}))?\s*$/.exec(text);
  if (!m) throw new UsageError(`cannot read token amount "${text}": use a decimal number such as 1000 or 0.5`);
  return BigInt(m[1]) * 10n ** 18n + BigInt((m[2] ?? '').padEnd(18, '0') || '0');
}
