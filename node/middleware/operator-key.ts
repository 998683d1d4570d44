import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { NodeEnv } from '../env';
import { ForbiddenError, OperatorKeyError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Guards operator-only routes with an API key sent as `Authorization: Bearer <key>`, compared in
 * constant time on SHA-256 digests (equal lengths whatever the input). Without a configured key
 * the routes answer 403 `OPERATOR_DISABLED`; a missing or wrong key answers 401.
 *
 * @example
 * app.delete('/slots/:slotId', operatorKey({ apiKey: process.env.DHOST_API_KEY }), handler);
 */
export function operatorKey(options: { apiKey?: string }): MiddlewareHandler<NodeEnv> {
  const expected = options.apiKey ? digest(options.apiKey) : undefined;
  return async function operatorKeyMiddleware(c, next) {
    if (!expected) throw new ForbiddenError('OPERATOR_DISABLED', 'operator routes are disabled: the node was started without an API key');
    const match = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '');
    if (!match) throw new OperatorKeyError('OPERATOR_KEY_MISSING', 'operator routes need Authorization: Bearer <api key>');
    if (!timingSafeEqual(digest(match[1]), expected)) throw new OperatorKeyError('OPERATOR_KEY_INVALID', 'the API key is wrong');
    await next();
  };
}
