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

/**
 * A retrieval token that is missing, malformed, or does not open what it is used for. Nodes answer
 * `TOKEN_REQUIRED` with 401, `TOKEN_MALFORMED` with 400 and every other code with 403.
 *
 * @example
 * throw new RetrievalTokenError('TOKEN_EXPIRED', 'the token expired', { details: { expiresAt } });
 */
export class RetrievalTokenError extends DhostError {
  override readonly code: RetrievalTokenErrorCode;
  constructor(code: RetrievalTokenErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** Why a retrieval token is refused. */
export type RetrievalTokenErrorCode =
  /** The read carried no token (401). */
  | 'TOKEN_REQUIRED'
  /** Not a token, or fields out of range (400). */
  | 'TOKEN_MALFORMED'
  /** The signature recovers to nothing. */
  | 'TOKEN_SIGNATURE_INVALID'
  /** Past its expiry. */
  | 'TOKEN_EXPIRED'
  /** Issued in the future (beyond the clock skew nodes accept). */
  | 'TOKEN_NOT_YET_VALID'
  /** Revoked on chain, alone or with every token issued before a revoke-all. */
  | 'TOKEN_REVOKED'
  /** Made for another deal than the shard's. */
  | 'TOKEN_WRONG_DEAL'
  /** The shard's column is not among the token's columns. */
  | 'TOKEN_WRONG_COLUMN'
  /** Signed by neither the deal's owner nor a delegate holding the needed permission. */
  | 'TOKEN_ISSUER_NOT_ALLOWED'
  /** The token names a grantee and the request is not signed by it. */
  | 'TOKEN_GRANTEE_MISMATCH'
  /** The chain knows no deal with the token's id. */
  | 'TOKEN_DEAL_UNKNOWN';
