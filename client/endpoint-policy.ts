import { isIP } from 'node:net';

/**
 * Whether an endpoint from the chain points at the public internet. Endpoints on chain are
 * untrusted: outside the devnet the client refuses loopback, private, link-local and unspecified
 * addresses (`localhost` included), so a registry entry cannot make a client probe its own LAN.
 * Host names are judged by their text only (DNS answers are not checked here).
 *
 * @example
 * isPublicEndpoint('https://node1.example.org'); // true
 * isPublicEndpoint('http://192.168.1.10:7001'); // false
 */
export function isPublicEndpoint(endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  const kind = isIP(host);
  if (kind === 4) {
    const [a, b] = host.split('.').map(Number);
    return !(
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (kind === 6) {
    if (host === '::' || host === '::1') return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isPublicEndpoint(`http://${mapped[1]}`);
    return !/^(fc|fd|fe[89ab])/.test(host);
  }
  return true;
}
