import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { DhostError } from '../../protocol/errors';
import { DaemonError } from './daemon-error';

/** SDK error codes that mean "the request was wrong" (400) or "no such thing" (404). */
const BAD_INPUT = new Set(['INVALID_INPUT', 'INVALID_HANDLE', 'TOKEN_MALFORMED']);
const MISSING = new Set(['DEAL_NOT_FOUND']);

/**
 * The daemon's one error path (`app.onError`): every failure is JSON `{ error: { code, message } }`.
 * A `DaemonError` keeps its status; bad input (zod, malformed JSON, `INVALID_INPUT`) is 400; a deal
 * that is gone 404; any other named SDK error (a revert, too few peers …) 422 with its code and
 * message; anything else is logged and answered 500 `INTERNAL` without its details.
 *
 * @example
 * app.onError(daemonErrorHandler({ log: console.error }));
 */
export function daemonErrorHandler(options: { log: (line: string) => void }) {
  return function onDaemonError(err: Error, c: Context) {
    const answer = (status: ContentfulStatusCode, code: string, message: string) => c.json({ error: { code, message } }, status);
    if (err instanceof DaemonError) return answer(err.status, err.code, err.message);
    if (err instanceof ZodError) {
      const first = err.issues[0];
      return answer(400, 'INVALID_INPUT', first ? `${first.path.join('.') || 'input'}: ${first.message}` : 'invalid input');
    }
    if (err instanceof HTTPException) return answer(err.status === 400 ? 400 : (err.status as ContentfulStatusCode), 'INVALID_INPUT', err.message);
    if (err instanceof DhostError) {
      if (BAD_INPUT.has(err.code)) return answer(400, err.code, err.message);
      if (MISSING.has(err.code)) return answer(404, err.code, err.message);
      return answer(422, err.code, err.message);
    }
    options.log(`dhost ui: ${err.stack ?? err.message}`);
    return answer(500, 'INTERNAL', 'the daemon failed; see its log');
  };
}
