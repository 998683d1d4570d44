/**
 * The one error base class of dhost. Every error the node, the client or the CLI raises on purpose
 * is a subclass with a stable `code`, a short message, optional `details` and a `cause` chain
 * (in the manner of viem's BaseError).
 *
 * @example
 * class PeerUnreachableError extends DhostError {
 *   override readonly code = 'PEER_UNREACHABLE';
 * }
 * throw new PeerUnreachableError('peer did not answer', { details: { endpoint }, cause: err });
 */
export class DhostError extends Error {
  /** Stable machine-readable code (SCREAMING_SNAKE_CASE). */
  readonly code: string = 'DHOST_ERROR';
  /** Structured facts about the failure, safe to print and to send in a JSON body. */
  readonly details: Record<string, unknown>;

  constructor(message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }
}

/**
 * Input that does not have the shape the protocol requires (a malformed id, header or document).
 *
 * @example
 * throw new InvalidInputError('slot id must be 32 bytes of hex', { details: { slotId } });
 */
export class InvalidInputError extends DhostError {
  override readonly code: string = 'INVALID_INPUT';
}

/**
 * A signed request whose signature is missing, malformed, stale, replayed or made for another
 * node or chain.
 *
 * @example
 * throw new SignatureError('STALE_SIGNATURE', 'request timestamp is outside the accepted window');
 */
export class SignatureError extends DhostError {
  override readonly code: string;
  constructor(code: SignatureErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** The reasons a signed request is refused. */
export type SignatureErrorCode = 'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE' | 'BAD_SIGNATURE' | 'STALE_SIGNATURE' | 'REPLAYED_SIGNATURE';

/**
 * The chain or the deployment is not what the caller expected: an unreachable RPC endpoint, a
 * missing or malformed deployment file, a chain id that does not match.
 *
 * @example
 * throw new ChainError('DEPLOYMENT_MISSING', 'no deployment file for chain 31337', { details: { path } });
 */
export class ChainError extends DhostError {
  override readonly code: string;
  constructor(code: ChainErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** The reasons chain access fails. */
export type ChainErrorCode = 'RPC_UNREACHABLE' | 'DEPLOYMENT_MISSING' | 'DEPLOYMENT_MALFORMED' | 'CHAIN_MISMATCH' | 'CONTRACT_REVERTED';
