import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DhostError, InvalidInputError, RetrievalTokenError, SignatureError } from '../../protocol/errors';
import type { ErrorBody } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import {
  CapacityExceededError,
  CommitNotReadyError,
  ForbiddenError,
  NotFoundError,
  OperatorKeyError,
  ShardConflictError,
  ShardTooLargeError,
  SlotFullError,
  TooManyRequestsError,
} from '../errors';

/**
 * The HTTP status of an error the node raised on purpose; 500 for anything else.
 *
 * @example
 * statusOf(new ShardConflictError('taken')); // 409
 */
export function statusOf(error: unknown): ContentfulStatusCode {
  if (error instanceof InvalidInputError) return 400;
  if (error instanceof RetrievalTokenError) return error.code === 'TOKEN_REQUIRED' ? 401 : error.code === 'TOKEN_MALFORMED' ? 400 : 403;
  if (error instanceof SignatureError || error instanceof OperatorKeyError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ShardConflictError || error instanceof CommitNotReadyError) return 409;
  if (error instanceof ShardTooLargeError || error instanceof SlotFullError) return 413;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof CapacityExceededError) return 507;
  if (error instanceof HTTPException) return error.status as ContentfulStatusCode;
  return 500;
}

/**
 * The node's one error path: every refusal becomes JSON `{ error: { code, message, details? } }`
 * with the status `statusOf` gives (a 429 also says `retry-after`). Unexpected errors are logged and answered with a generic 500,
 * so no internals leak.
 *
 * @example
 * app.onError(errorHandler({ log: console.error }));
 */
export function errorHandler(options: { log: (line: string) => void }): ErrorHandler<NodeEnv> {
  return function onNodeError(error, c) {
    const status = statusOf(error);
    let body: ErrorBody;
    if (error instanceof DhostError && status !== 500) {
      body = { error: { code: error.code, message: error.message, ...(Object.keys(error.details).length ? { details: error.details } : {}) } };
    } else if (error instanceof HTTPException && status !== 500) {
      body = { error: { code: 'HTTP_ERROR', message: error.message || 'request refused' } };
    } else {
      options.log(
        `internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      body = { error: { code: 'INTERNAL_ERROR', message: 'the node failed to handle this request' } };
    }
    if (error instanceof TooManyRequestsError) return c.json(body, status, { 'retry-after': String(error.retryAfterSeconds) });
    return c.json(body, status);
  };
}

/**
 * Answers unknown routes with a 404 JSON body, like every other refusal.
 *
 * @example
 * app.notFound(notFoundHandler());
 */
export function notFoundHandler(): NotFoundHandler<NodeEnv> {
  return function onNotFound(c) {
    const body: ErrorBody = { error: { code: 'ROUTE_NOT_FOUND', message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } };
    return c.json(body, 404);
  };
}
