import { DhostError } from '../protocol/errors';

/**
 * A file handle that is not `dhost://<64 hex digits>#<43 base64url characters>`.
 *
 * @example
 * throw new InvalidHandleError('handle must start with dhost://', { details: { handle } });
 */
export class InvalidHandleError extends DhostError {
  override readonly code = 'INVALID_HANDLE';
}

/**
 * A manifest that cannot be used: too large, not decryptable under the handle's key (forged, or
 * made for another file or column), malformed, or inconsistent with itself.
 *
 * @example
 * throw new ManifestError('manifest belongs to another file', { details: { expected, found } });
 */
export class ManifestError extends DhostError {
  override readonly code = 'MANIFEST_INVALID';
}

/**
 * Bytes whose SHA-256 is not the one the manifest (or the node's receipt) names.
 *
 * @example
 * throw new IntegrityError('shard hash differs from the manifest', { details: { index, column } });
 */
export class IntegrityError extends DhostError {
  override readonly code = 'INTEGRITY_MISMATCH';
}

/**
 * An AES-256-GCM tag check that failed: wrong key, wrong place (index, column, last flag, file id)
 * or altered bytes.
 *
 * @example
 * throw new DecryptionError('chunk 3 failed its authentication tag', { details: { index: 3 } });
 */
export class DecryptionError extends DhostError {
  override readonly code = 'DECRYPTION_FAILED';
}

/** Why one column could not serve a chunk. */
export interface ColumnFailure {
  column: number;
  /** Short reasons, one per holder tried (or one saying that nobody holds the column). */
  reasons: string[];
}

/**
 * Chunks that no column could serve. `details.lost` lists the chunk indices known to be lost,
 * `details.columns` why each column failed for the first of them.
 *
 * @example
 * throw new ChunksLostError({ lost: [4, 5], columns: [{ column: 0, reasons: ['peer http://a: timeout'] }] });
 */
export class ChunksLostError extends DhostError {
  override readonly code = 'CHUNKS_LOST';
  readonly lost: number[];
  readonly columns: ColumnFailure[];
  constructor(params: { lost: number[]; columns: ColumnFailure[] }, options: { cause?: unknown } = {}) {
    const shown = params.lost.length > 10 ? `${params.lost.slice(0, 10).join(', ')} … (${params.lost.length} in all)` : params.lost.join(', ');
    const why = params.columns.map((c) => `column ${c.column}: ${c.reasons.join('; ')}`).join(' | ');
    super(`no column can serve chunk(s) ${shown}: ${why}`, { details: { lost: params.lost, columns: params.columns }, cause: options.cause });
    this.lost = params.lost;
    this.columns = params.columns;
  }
}

/**
 * Fewer healthy, distinct peers than the columns a file needs.
 *
 * @example
 * throw new NotEnoughPeersError({ needed: 3, healthy: 1, candidates: 4 });
 */
export class NotEnoughPeersError extends DhostError {
  override readonly code = 'NOT_ENOUGH_PEERS';
  readonly needed: number;
  readonly healthy: number;
  readonly candidates: number;
  constructor(params: { needed: number; healthy: number; candidates: number; reasons?: string[] }) {
    super(
      `need ${params.needed} healthy peers with distinct operators, found ${params.healthy} of ${params.candidates} candidates` +
        (params.reasons?.length ? ` (${params.reasons.slice(0, 8).join('; ')})` : ''),
      { details: { ...params } },
    );
    this.needed = params.needed;
    this.healthy = params.healthy;
    this.candidates = params.candidates;
  }
}

/**
 * A peer that refused a request (HTTP status and the `code` of its JSON error body), or did not
 * answer (no status; code `NETWORK` or `TIMEOUT`).
 *
 * @example
 * throw new PeerRequestError({ endpoint, method: 'PUT', path, status: 507, peerCode: 'STORAGE_FULL', message: 'node is full' });
 */
export class PeerRequestError extends DhostError {
  override readonly code = 'PEER_REQUEST_FAILED';
  readonly endpoint: string;
  readonly status: number | undefined;
  /** The node's own error code, `NETWORK`, `TIMEOUT` or `BAD_RESPONSE`. */
  readonly peerCode: string;
  constructor(
    params: { endpoint: string; method: string; path: string; status?: number; peerCode: string; message: string },
    options: { cause?: unknown } = {},
  ) {
    super(`${params.method} ${params.endpoint}${params.path} failed${params.status ? ` with ${params.status}` : ''}: ${params.peerCode}: ${params.message}`, {
      details: { ...params },
      cause: options.cause,
    });
    this.endpoint = params.endpoint;
    this.status = params.status;
    this.peerCode = params.peerCode;
  }

  /** True when trying the same request again may succeed: no answer, a timeout, or a 5xx other than 507 (full). */
  get transient(): boolean {
    return this.status === undefined ? this.peerCode !== 'BAD_RESPONSE' : this.status >= 500 && this.status !== 507;
  }
}

/**
 * The source's bytes differ from what was read before (a re-read for a moved column found another
 * plaintext, or the file's length changed while it was read).
 *
 * @example
 * throw new FileChangedError('chunk 7 changed since it was first read', { details: { index: 7 } });
 */
export class FileChangedError extends DhostError {
  override readonly code = 'FILE_CHANGED';
}

/**
 * A column's peer failed and no spare peer is left to take the column.
 *
 * @example
 * throw new NoSparePeerError('column 1 lost its peer and no spare is left', { details: { column: 1 }, cause });
 */
export class NoSparePeerError extends DhostError {
  override readonly code = 'NO_SPARE_PEER';
}

/**
 * The chain's JSON-RPC endpoint did not answer a read the operation needs, after retries. No peer
 * is blamed for it (an upload moves no column because of it).
 *
 * @example
 * throw new ChainUnavailableError("the chain's head could not be read (4 attempts)", { details: { attempts: 4 }, cause });
 */
export class ChainUnavailableError extends DhostError {
  override readonly code = 'CHAIN_UNAVAILABLE';
}

/**
 * No active peer says it holds any column of the file.
 *
 * @example
 * throw new NoColumnsFoundError('no peer holds file 0x…', { details: { fileId, asked: 8, answered: 7 } });
 */
export class NoColumnsFoundError extends DhostError {
  override readonly code = 'NO_COLUMNS_FOUND';
}

/**
 * The local keystore folder holds something unusable (a key file that is not a private key).
 *
 * @example
 * throw new KeystoreError('account.key is not a 32-byte hex key', { details: { file } });
 */
export class KeystoreError extends DhostError {
  override readonly code = 'KEYSTORE_INVALID';
}

/**
 * A contract call the chain refused, decoded from the revert data: the contract's custom error name
 * and its arguments (`details.errorName`, `details.args`), or the revert reason string.
 *
 * @example
 * throw new ContractRevertError({ functionName: 'openDeal', errorName: 'DealExists', args: [dealId] });
 */
export class ContractRevertError extends DhostError {
  override readonly code = 'CONTRACT_REVERTED';
  readonly functionName: string;
  /** The custom error's name (`ERC20InsufficientAllowance`…), or `Error` for a reason string, or `unknown`. */
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor(params: { functionName: string; errorName: string; args?: readonly unknown[]; reason?: string }, options: { cause?: unknown } = {}) {
    const args = params.args ?? [];
    const shown = args.map((a) => (typeof a === 'bigint' ? a.toString() : JSON.stringify(a))).join(', ');
    super(`${params.functionName} reverted with ${params.errorName}(${shown})${params.reason ? `: ${params.reason}` : ''}`, {
      details: {
        functionName: params.functionName,
        errorName: params.errorName,
        args: args.map((a) => (typeof a === 'bigint' ? a.toString() : a)),
        reason: params.reason,
      },
      cause: options.cause,
    });
    this.functionName = params.functionName;
    this.errorName = params.errorName;
    this.args = args;
  }
}

/**
 * A deal could not be opened: neither the permit path nor approve + `openDeal` went through
 * (`cause` is the last failure, often a `ContractRevertError`).
 *
 * @example
 * throw new DealOpenError('could not open deal 0x…', { details: { dealId, escrow: '300' }, cause });
 */
export class DealOpenError extends DhostError {
  override readonly code = 'DEAL_OPEN_FAILED';
}

/**
 * Slots still not filled after their deadline and every reassignment the upload could make.
 *
 * @example
 * throw new SlotNotFilledError({ dealId, columns: [1], reasons: ['column 1: no spare peer left'] });
 */
export class SlotNotFilledError extends DhostError {
  override readonly code = 'SLOT_NOT_FILLED';
  readonly columns: number[];
  constructor(params: { dealId: string; columns: number[]; reasons?: string[]; moves?: unknown[] }, options: { cause?: unknown } = {}) {
    super(
      `slot(s) of column(s) ${params.columns.join(', ')} of deal ${params.dealId} were not filled` +
        (params.reasons?.length ? `: ${params.reasons.join('; ')}` : ''),
      { details: { ...params }, cause: options.cause },
    );
    this.columns = params.columns;
  }
}

/**
 * No deal with this id exists on chain (or it belongs to another owner).
 *
 * @example
 * throw new DealNotFoundError('no deal 0x… on chain', { details: { dealId } });
 */
export class DealNotFoundError extends DhostError {
  override readonly code = 'DEAL_NOT_FOUND';
}

/**
 * An erasure decode asked with fewer shards present than the code's data shards (more than m of a
 * stripe's k + m shards lost).
 *
 * @example
 * throw new NotEnoughShardsError({ dataShards: 4, parityShards: 2, present: 3 });
 */
export class NotEnoughShardsError extends DhostError {
  override readonly code = 'NOT_ENOUGH_SHARDS';
  readonly present: number;
  readonly needed: number;
  constructor(params: { dataShards: number; parityShards: number; present: number }) {
    super(`a stripe of RS(${params.dataShards},${params.parityShards}) needs ${params.dataShards} shards to decode, ${params.present} present`, {
      details: { ...params },
    });
    this.present = params.present;
    this.needed = params.dataShards;
  }
}

/**
 * Stripes of an erasure-coded file for which fewer than k columns could serve a shard that passed
 * its hash check. `details.lost` lists the unrecoverable stripe indices, `details.columns` why each
 * column failed for the first of them.
 *
 * @example
 * throw new StripesLostError({ lost: [0, 1], columns: [{ column: 0, reasons: ['no peer holds this column'] }] });
 */
export class StripesLostError extends DhostError {
  override readonly code = 'STRIPES_LOST';
  readonly lost: number[];
  readonly columns: ColumnFailure[];
  constructor(params: { lost: number[]; columns: ColumnFailure[] }, options: { cause?: unknown } = {}) {
    const shown = params.lost.length > 10 ? `${params.lost.slice(0, 10).join(', ')} … (${params.lost.length} in all)` : params.lost.join(', ');
    const why = params.columns.map((c) => `column ${c.column}: ${c.reasons.join('; ')}`).join(' | ');
    super(`fewer than k columns can serve stripe(s) ${shown}: ${why}`, { details: { lost: params.lost, columns: params.columns }, cause: options.cause });
    this.lost = params.lost;
    this.columns = params.columns;
  }
}

/**
 * A read cannot be authorized: the caller holds neither the deal's key nor a token for it, a
 * grantee-bound token is used without the grantee's key, or a co-signature needs a node address
 * that is not known.
 *
 * @example
 * throw new ReadAccessError('NOT_GRANTEE', 'this share link is for 0xAb…; use that account');
 */
export class ReadAccessError extends DhostError {
  override readonly code: string;
  constructor(
    code: 'NODE_UNKNOWN' | 'NOT_GRANTEE' | 'NO_READ_ACCESS' | 'TOKEN_FOR_OTHER_DEAL',
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options);
    this.code = code;
  }
}

/**
 * An upload journal that cannot be used to resume: missing, malformed, altered (its MAC under the
 * user's master secret fails), or naming a deal the chain no longer has open for this account.
 *
 * @example
 * throw new UploadJournalError('the upload journal was altered', { details: { file } });
 */
export class UploadJournalError extends DhostError {
  override readonly code = 'UPLOAD_JOURNAL_INVALID';
}
