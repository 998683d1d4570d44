import type { MiddlewareHandler } from 'hono';
import type { NodeEnv } from '../env';
import { ForbiddenError } from '../errors';

/** Response headers a page may read from a public answer (shard hash and validators). */
const EXPOSED = 'content-length, content-type, etag, x-dhost-content-sha256, retry-after';
/** Request headers a page may send with a public read: conditional GETs, a retrieval token, a grantee's signature. */
const ALLOWED_HEADERS = 'if-none-match, x-dhost-token, x-dhost-signature, x-dhost-address, x-dhost-timestamp, x-dhost-nonce, x-dhost-content-sha256';

/**
 * CORS for public reads only. A GET or HEAD that `isPublic(method, path)` accepts answers
 * `access-control-allow-origin: *` (never with credentials) and exposes the shard headers; a
 * preflight (`OPTIONS` with `access-control-request-method`) asking for such a read answers 204
 * with the allowance. Every other preflight — a cross-origin PUT or DELETE, or a read of a
 * non-public route — is refused with 403 JSON `CROSS_ORIGIN_REFUSED` and no CORS headers, so the
 * browser never sends the write; other answers carry no CORS headers at all. Writes need no CORS:
 * clients are programs, not web pages.
 *
 * @example
 * app.use('*', publicReadCors({ isPublic: isPublicRead }));
 */
export function publicReadCors(options: { isPublic: (method: string, path: string) => boolean; maxAgeSeconds?: number }): MiddlewareHandler<NodeEnv> {
  const maxAge = String(options.maxAgeSeconds ?? 600);
  return async function publicReadCorsMiddleware(c, next) {
    const path = c.req.path;
    const requested = c.req.header('access-control-request-method');
    if (c.req.method === 'OPTIONS' && requested !== undefined) {
      if (!options.isPublic(requested, path)) {
        throw new ForbiddenError('CROSS_ORIGIN_REFUSED', 'only public reads (GET/HEAD of shards, files, status, health) are allowed across origins', {
          details: { method: requested.slice(0, 32) },
        });
      }
      return c.body(null, 204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': maxAge,
      });
    }
    // Set before the handler runs, so refusals and HEAD answers carry them too (see securityHeaders).
    if (options.isPublic(c.req.method, path)) {
      c.header('access-control-allow-origin', '*');
      c.header('access-control-expose-headers', EXPOSED);
    }
    await next();
  };
}
