import type { MiddlewareHandler } from 'hono';
import type { NodeEnv } from '../env';
import { TooManyRequestsError } from '../errors';

/**
 * Caps the uploads in progress at `maxConcurrent`: one more is refused with 429
 * `TOO_MANY_UPLOADS` and `retry-after: retryAfterSeconds` before its signature is checked or a byte
 * of its body read (nothing stored, no nonce spent). An upload counts until its handler finished
 * (stored, refused or aborted). The count lives in the returned handler: one per app.
 *
 * @example
 * app.on('PUT', '/slots/:slotId/shards/:index', uploadCap({ maxConcurrent: 64, retryAfterSeconds: 1 }));
 */
export function uploadCap(options: { maxConcurrent: number; retryAfterSeconds: number }): MiddlewareHandler<NodeEnv> {
  let running = 0;
  return async function uploadCapMiddleware(_c, next) {
    if (running >= options.maxConcurrent) {
      throw new TooManyRequestsError('TOO_MANY_UPLOADS', `the node takes at most ${options.maxConcurrent} uploads at once`, {
        retryAfterSeconds: options.retryAfterSeconds,
        details: { maxConcurrent: options.maxConcurrent },
      });
    }
    running++;
    try {
      await next();
    } finally {
      running--;
    }
  };
}
