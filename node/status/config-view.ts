/**
 * A URL without what may be a secret: user and password dropped, path and query replaced by `/…`
 * (RPC providers put API keys there), so that `https://u:p@rpc.example.org/v3/KEY` shows as
 * `https://rpc.example.org/…`.
 *
 * @example
 * redactUrl('https://mainnet.infura.io/v3/abc'); // 'https://mainnet.infura.io/…'
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.username || u.password || (u.pathname && u.pathname !== '/') || u.search || u.hash;
    return `${u.protocol}//${u.host}${hidden ? '/…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

/** A JSON-safe value: bigints become decimal strings. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };

/**
 * Turns a settings object into JSON-safe values (bigints as decimal strings, undefined dropped).
 *
 * @example
 * jsonSafe({ stake: 10n ** 18n }); // { stake: '1000000000000000000' }
 */
export function jsonSafe(value: unknown): ConfigValue {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object') {
    const out: { [key: string]: ConfigValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = jsonSafe(v);
    return out;
  }
  return null;
}
