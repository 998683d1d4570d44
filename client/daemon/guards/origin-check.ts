import type { MiddlewareHandler } from 'hono';
import { DaemonError } from '../daemon-error';
import { allowedHosts } from './host-check';

/**
 * Refuses (403 `ORIGIN_REFUSED`) every CORS preflight (`OPTIONS`), every request whose `Origin`
 * is not the daemon's own (`http://127.0.0.1:<port>` or `http://localhost:<port>`), and every
 * request a browser marks `sec-fetch-site: cross-site`. The daemon never sends an
 * `access-control-*` header, so a browser also withholds every answer from other origins.
 *
 * @example
 * app.use('*', originCheck({ port: 4848 }));
 */
export function originCheck(options: { port: number }): MiddlewareHandler {
  const own = new Set(allowedHosts(options.port).map((h) => `http://${h}`));
  return async function originCheckMiddleware(c, next) {
    if (c.req.method === 'OPTIONS') throw new DaemonError('ORIGIN_REFUSED', 'cross-origin requests are refused: the daemon sends no CORS headers');
    const origin = c.req.header('origin');
    if (origin !== undefined && !own.has(origin.toLowerCase())) {
      throw new DaemonError('ORIGIN_REFUSED', 'requests from other origins are refused');
    }
    if (c.req.header('sec-fetch-site') === 'cross-site') throw new DaemonError('ORIGIN_REFUSED', 'requests from other sites are refused');
    await next();
  };
}
