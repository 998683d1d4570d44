/**
 * Whether the page may send a link's token to an endpoint taken from the chain (endpoints on chain
 * are untrusted, as client/endpoint-policy.ts says): http(s) only, and — unless the page itself was
 * opened from a loopback or private address (a devnet) — never a loopback, private, link-local or
 * unspecified host, so a registry entry cannot make a visitor's browser probe its own network.
 *
 * @example
 * mayContact('https://node1.example.org', { allowPrivate: false }); // true
 * mayContact('http://192.168.1.10:7001', { allowPrivate: false }); // false
 */
export function mayContact(endpoint: string, options: { allowPrivate: boolean }): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return options.allowPrivate || !isPrivateHost(url.hostname);
}

/**
 * True for `localhost`, loopback, private, link-local, carrier-grade NAT and unspecified addresses
 * (judged by the text of the host, as the client does).
 *
 * @example
 * isPrivateHost('127.0.0.1'); // true
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.includes(':')) {
    if (host === '::' || host === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isPrivateHost(mapped[1]);
    // The URL parser writes an IPv4-mapped address in hex (`::ffff:7f00:1`).
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (hexMapped) {
      const [hi, lo] = [Number.parseInt(hexMapped[1], 16), Number.parseInt(hexMapped[2], 16)];
      return isPrivateHost(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return /^(fc|fd|fe[89ab])/.test(host);
  }
  return false;
}
