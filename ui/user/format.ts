/** Bytes as B, KiB, MiB, GiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Token wei (a decimal string) as a token amount with up to `digits` decimals. */
export function formatTokens(wei: string, decimals = 18, symbol = 'DHOST', digits = 6): string {
  const v = BigInt(wei);
  const base = 10n ** BigInt(decimals);
  const whole = v / base;
  let frac = (v % base).toString().padStart(decimals, '0').slice(0, digits).replace(/0+$/, '');
  if (whole === 0n && frac === '' && v > 0n) frac = `${'0'.repeat(digits - 1)}1`;
  return `${whole.toLocaleString('en')}${frac ? `.${frac}` : ''} ${symbol}`;
}

/** An address shortened for display (the whole one goes in a title). */
export function shortAddress(a: string): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`;
}

/** An element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** Says something to screen readers (the page's polite live region). */
export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (region) region.textContent = text;
}
