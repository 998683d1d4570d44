import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { DaemonError } from '../daemon-error';

/** The request header that carries the session token. */
export const SESSION_HEADER = 'x-dhost-session';

/**
 * A fresh session token: 32 random bytes, base64url (43 characters).
 *
 * @example
 * const token = newSessionToken();
 */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Lets a request through only with the daemon's session token in `x-dhost-session`, compared in
 * constant time; missing or wrong: 401 `SESSION_REQUIRED`. The page gets the token from the
 * fragment of the URL the daemon prints, which no other page can read.
 *
 * @example
 * app.use('/api/*', sessionToken({ token }));
 */
export function sessionToken(options: { token: string }): MiddlewareHandler {
  const expected = Buffer.from(options.token, 'utf8');
  return async function sessionTokenMiddleware(c, next) {
    const given = Buffer.from(c.req.header(SESSION_HEADER) ?? '', 'utf8');
    // Same length first (timingSafeEqual needs it); the length of a random token is no secret.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new DaemonError('SESSION_REQUIRED', `send the session token from the URL the daemon printed in ${SESSION_HEADER}`);
    }
    await next();
  };
}
