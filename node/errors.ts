import { DhostError, InvalidInputError } from '../protocol/errors';

type ErrorOptions = { details?: Record<string, unknown>; cause?: unknown };

/**
 * The caller is known but may not do this: a slot written by another signer, operator routes on a
 * node without an API key, a write not bound to an open deal assigned to this node. Answered with 403.
 *
 * @example
 * throw new ForbiddenError('SLOT_OWNED_BY_OTHER', 'slot belongs to another signer', { details: { slotId } });
 */
export class ForbiddenError extends DhostError {
  override readonly code: string;
  constructor(code: ForbiddenCode, message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** Why a known caller is refused (403). */
export type ForbiddenCode =
  | 'SLOT_OWNED_BY_OTHER'
  | 'OPERATOR_DISABLED'
  /** A write for a deal the chain does not know. */
  | 'DEAL_NOT_FOUND'
  /** A write signed by someone other than the deal's owner. */
  | 'NOT_DEAL_OWNER'
  /** A write without the owner's assignment of this slot to this node. */
  | 'NOT_ASSIGNED'
  /** A write whose assignment deadline has passed. */
  | 'ASSIGNMENT_EXPIRED'
  /** A write for a deal that ended or was cancelled. */
  | 'DEAL_ENDED'
  /** A cross-origin preflight for a write or a non-public route: browsers get no CORS allowance for it. */
  | 'CROSS_ORIGIN_REFUSED'
  /** An operator route signed by a key that is not this node's operator. */
  | 'NOT_OPERATOR';

/**
 * A write that would put more bytes in a slot than its deal's `bytesPerSlot`. Answered with 413.
 *
 * @example
 * throw new SlotFullError('slot would exceed its deal size', { details: { slotId, bytesPerSlot } });
 */
export class SlotFullError extends DhostError {
  override readonly code: string = 'SLOT_FULL';
}

/**
 * A write for a column the deal does not have (column ≥ slots). Answered with 400.
 *
 * @example
 * throw new ColumnOutOfRangeError('deal has 4 slots', { details: { column: 7, slots: 4 } });
 */
export class ColumnOutOfRangeError extends InvalidInputError {
  override readonly code: string = 'COLUMN_OUT_OF_RANGE';
}

/**
 * An operator route called without the right API key. Answered with 401.
 *
 * @example
 * throw new OperatorKeyError('OPERATOR_KEY_INVALID', 'the API key does not match');
 */
export class OperatorKeyError extends DhostError {
  override readonly code: string;
  constructor(code: 'OPERATOR_KEY_MISSING' | 'OPERATOR_KEY_INVALID', message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Nothing here under that name: an unknown shard, slot or route. Answered with 404.
 *
 * @example
 * throw new NotFoundError('SHARD_NOT_FOUND', 'no such shard', { details: { slotId, index } });
 */
export class NotFoundError extends DhostError {
  override readonly code: string;
  constructor(code: 'SHARD_NOT_FOUND' | 'SLOT_NOT_FOUND' | 'ROUTE_NOT_FOUND' | 'COMMIT_NOT_FOUND', message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A shard is already stored under that index with other content. Answered with 409.
 *
 * @example
 * throw new ShardConflictError('shard 3 is already stored with another hash', { details: { slotId, index: 3 } });
 */
export class ShardConflictError extends DhostError {
  override readonly code: string = 'SHARD_CONFLICT';
}

/**
 * The body is larger than the node's `maxShardBytes`. Answered with 413.
 *
 * @example
 * throw new ShardTooLargeError('shard exceeds 17825792 bytes', { details: { maxShardBytes } });
 */
export class ShardTooLargeError extends DhostError {
  override readonly code: string = 'SHARD_TOO_LARGE';
}

/**
 * Storing the shard would exceed the node's capacity. Answered with 507.
 *
 * @example
 * throw new CapacityExceededError('node is full', { details: { capacityBytes, usedBytes, size } });
 */
export class CapacityExceededError extends DhostError {
  override readonly code: string = 'CAPACITY_EXCEEDED';
}

/**
 * The body's SHA-256 differs from the signed `x-dhost-content-sha256`. Answered with 400.
 *
 * @example
 * throw new ContentHashMismatchError('body does not match the signed content hash', { details: { expected, actual } });
 */
export class ContentHashMismatchError extends InvalidInputError {
  override readonly code: string = 'CONTENT_HASH_MISMATCH';
}

/**
 * The body ended before its declared `Content-Length` (or ran past it). Answered with 400.
 *
 * @example
 * throw new BodyLengthMismatchError('body has 10 bytes, Content-Length says 20', { details: { declared: 20, received: 10 } });
 */
export class BodyLengthMismatchError extends InvalidInputError {
  override readonly code: string = 'BODY_LENGTH_MISMATCH';
}

/**
 * The node's operator has begun to exit the registry: the node refuses to start rather than take
 * data it is about to drop.
 *
 * @example
 * throw new PeerExitingError('peer 0x… is exiting the registry', { details: { operator, exitRequestedAt } });
 */
export class PeerExitingError extends DhostError {
  override readonly code: string = 'PEER_EXITING';
}

/**
 * The slot id in the path is not keccak(fileId, column) of the query's file id and column.
 * Answered with 400.
 *
 * @example
 * throw new SlotIdMismatchError('slot id does not match file id and column', { details: { slotId, expected } });
 */
export class SlotIdMismatchError extends InvalidInputError {
  override readonly code: string = 'SLOT_ID_MISMATCH';
}

/**
 * The operator's key does not hold the reward tokens it must stake to register.
 *
 * @example
 * throw new StakeUnavailableError('operator holds 0 tokens but must stake 1000', { details: { balance, stake } });
 */
export class StakeUnavailableError extends DhostError {
  override readonly code: string = 'STAKE_UNAVAILABLE';
}

/**
 * A commit notice the node cannot act on yet: the deal root is not on chain (`ROOT_NOT_COMMITTED`)
 * or this node holds none of the slot's bytes (`SLOT_NOT_HELD`). Answered with 409.
 *
 * @example
 * throw new CommitNotReadyError('ROOT_NOT_COMMITTED', 'the deal root is not committed on chain', { details: { dealId } });
 */
export class CommitNotReadyError extends DhostError {
  override readonly code: string;
  constructor(code: 'ROOT_NOT_COMMITTED' | 'SLOT_NOT_HELD', message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A commit notice that disagrees with the chain: its slot root is not proven in the committed deal
 * root (`ROOT_PROOF_INVALID`) or its segment count is not the deal's (`SEGMENT_COUNT_MISMATCH`).
 * Answered with 400.
 *
 * @example
 * throw new CommitMismatchError('ROOT_PROOF_INVALID', 'the slot root is not in the deal root', { details: { slotId } });
 */
export class CommitMismatchError extends InvalidInputError {
  override readonly code: string;
  constructor(code: 'ROOT_PROOF_INVALID' | 'SEGMENT_COUNT_MISMATCH', message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The node is busy or the caller is too fast: too many shard uploads at once (`TOO_MANY_UPLOADS`)
 * or a signer's or remote address's request budget is spent (`RATE_LIMITED`). Answered with 429
 * and `retry-after: <retryAfterSeconds>`; refused before the body is read, so nothing is stored.
 *
 * @example
 * throw new TooManyRequestsError('RATE_LIMITED', 'too many requests from this signer', { retryAfterSeconds: 2 });
 */
export class TooManyRequestsError extends DhostError {
  override readonly code: string;
  /** Whole seconds after which a retry can succeed (at least 1). */
  readonly retryAfterSeconds: number;
  constructor(code: 'TOO_MANY_UPLOADS' | 'RATE_LIMITED', message: string, options: ErrorOptions & { retryAfterSeconds: number }) {
    super(message, options);
    this.code = code;
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
  }
}
