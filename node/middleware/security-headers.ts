import type { MiddlewareHandler } from 'hono';
import type { NodeEnv } from '../env';

/**
 * Adds security headers to every answer, refusals and 404s included: `x-content-type-options:
 * nosniff`, `referrer-policy: no-referrer`, `x-frame-options: DENY`, and a CSP that allows nothing
 * (`default-src 'none'; frame-ancestors 'none'`: the node answers only JSON and bytes; the one page it
 * serves, `/share/`, replaces this header with its own in its route, see routes/share-page.ts).
 * `cross-origin-resource-policy` is `cross-origin` where `crossOrigin(method, path)` says so (shard
 * reads, meant to be embedded from any origin) and `same-origin` elsewhere.
 *
 * @example
 * app.use('*', securityHeaders({ crossOrigin: isShardRead }));
 */
export function securityHeaders(options: { crossOrigin: (method: string, path: string) => boolean }): MiddlewareHandler<NodeEnv> {
  return async function securityHeadersMiddleware(c, next) {
    // Set before the handler runs, so that every answer made from this context (routes, onError,
    // notFound, HEAD) is built with them: @hono/node-server's lightweight responses drop headers
    // added to a finished response when it is copied (as Hono does for HEAD).
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
    c.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    c.header('cross-origin-resource-policy', options.crossOrigin(c.req.method, c.req.path) ? 'cross-origin' : 'same-origin');
    await next();
  };
}
