import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DhostError } from '../../protocol/errors';

/** The named refusals of the user daemon. */
export type DaemonErrorCode =
  | 'HOST_REFUSED'
  | 'ORIGIN_REFUSED'
  | 'SESSION_REQUIRED'
  | 'INVALID_INPUT'
  | 'FILE_NOT_FOUND'
  | 'UPLOAD_NOT_FOUND'
  | 'UPLOAD_SIZE_MISMATCH'
  | 'NOT_FOUND';

const STATUS: Record<DaemonErrorCode, ContentfulStatusCode> = {
  HOST_REFUSED: 403,
  ORIGIN_REFUSED: 403,
  SESSION_REQUIRED: 401,
  INVALID_INPUT: 400,
  FILE_NOT_FOUND: 404,
  UPLOAD_NOT_FOUND: 404,
  UPLOAD_SIZE_MISMATCH: 400,
  NOT_FOUND: 404,
};

/**
 * A request the daemon refuses, with its HTTP status; answered as `{ error: { code, message } }`
 * by the app's one error handler.
 *
 * @example
 * throw new DaemonError('FILE_NOT_FOUND', `no file ${fileId} in this account`);
 */
export class DaemonError extends DhostError {
  override readonly code: DaemonErrorCode;
  readonly status: ContentfulStatusCode;
  constructor(code: DaemonErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
    this.status = STATUS[code];
  }
}
