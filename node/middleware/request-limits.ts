import type { MiddlewareHandler } from 'hono';
import { InvalidInputError } from '../../protocol/errors';
import type { NodeEnv } from '../env';
import { ShardTooLargeError } from '../errors';

/**
 * Refuses a body whose declared `Content-Length` exceeds `maxBodyBytes` (413) before a byte of
 * it is read, refuses a malformed `Content-Length` (400), and sets `declaredLength` for the
 * route, which enforces the same bound while streaming when no length was declared.
 *
 * @example
 * app.put('/slots/:slotId/shards/:index', requestLimits({ maxBodyBytes: 17 << 20 }), handler);
 */
export function requestLimits(options: { maxBodyBytes: number }): MiddlewareHandler<NodeEnv> {
  return async function requestLimitsMiddleware(c, next) {
    const header = c.req.header('content-length');
    let declared: number | undefined;
    if (header !== undefined) {
      if (!/^[0-9]{1,16}$/.test(header)) throw new InvalidInputError('Content-Length must be a decimal byte count', { details: { contentLength: header } });
      declared = Number(header);
      if (declared > options.maxBodyBytes) {
        throw new ShardTooLargeError(`shard is larger than ${options.maxBodyBytes} bytes`, {
          details: { maxShardBytes: options.maxBodyBytes, contentLength: declared },
        });
      }
    }
    c.set('declaredLength', declared);
    await next();
  };
}
