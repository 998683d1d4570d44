import type { MiddlewareHandler } from 'hono';
import { DaemonError } from '../daemon-error';

/**
 * The Host names the daemon answers to: `127.0.0.1:<port>` and `localhost:<port>`, nothing else.
 *
 * @example
 * allowedHosts(4848); // ['127.0.0.1:4848', 'localhost:4848']
 */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/**
 * Refuses (403 `HOST_REFUSED`) any request whose Host is not the daemon's own: a page on another
 * site that rebinds its DNS name to 127.0.0.1 still sends its own name as Host, so it never
 * reaches the routes.
 *
 * @example
 * app.use('*', hostCheck({ port: 4848 }));
 */
export function hostCheck(options: { port: number }): MiddlewareHandler {
  const allowed = new Set(allowedHosts(options.port));
  return async function hostCheckMiddleware(c, next) {
    const host = (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase();
    if (!allowed.has(host)) throw new DaemonError('HOST_REFUSED', 'this daemon answers only its own address (127.0.0.1 or localhost with its port)');
    await next();
  };
}
