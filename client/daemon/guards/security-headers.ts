import type { MiddlewareHandler } from 'hono';

/**
 * Security headers on every answer, refusals included (set before the handler runs, so the error
 * handler's answers carry them too): a CSP that allows only the daemon's own scripts, styles and
 * requests (`default-src 'self'`), no framing (`frame-ancestors 'none'`), `nosniff`, no referrer,
 * and `cache-control: no-store` on the API.
 *
 * @example
 * app.use('*', securityHeaders());
 */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    c.header('content-security-policy', "default-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'");
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    c.header('cross-origin-resource-policy', 'same-origin');
    c.header('cross-origin-opener-policy', 'same-origin');
    if (c.req.path.startsWith('/api/')) c.header('cache-control', 'no-store');
    await next();
  };
}
