import { randomBytes } from 'node:crypto';
import { type Address, getAddress, type Hex, type LocalAccount, recoverTypedDataAddress, zeroAddress } from 'viem';
import { RetrievalTokenError } from './errors';

/**
 * Retrieval tokens: what a node asks before it serves a shard. A token is EIP-712 typed data signed
 * by the deal's owner (or a delegate the owner named on chain), in the Marketplace's domain, so a
 * token for one chain or deployment is worthless on another. It names the deal, optionally a set of
 * columns, a grantee who must co-sign each request (or the zero address: any bearer), a scope, when
 * it was issued, when it expires, and a random nonce the owner can revoke on chain.
 */

/** What a token lets its holder do; a bit set. */
export const TOKEN_SCOPE = {
  /** Read shards (ciphertext) of the deal's columns. Issued by the owner or a delegate with `PERMISSION.read`. */
  read: 1,
  /** Read columns to rebuild lost ones (a delegated repairer). Issued by the owner or a delegate with `PERMISSION.repair`. */
  repair: 2,
} as const;

/** The permission bits an owner grants a delegate on chain (`Marketplace.setDelegate`). */
export const PERMISSION = {
  /** May issue read tokens for the owner's deals and revoke tokens. */
  read: 1,
  /** May sign slot assignments, write shards and commit notices, and issue repair tokens. */
  repair: 2,
} as const;

/** The EIP-712 types of a retrieval token. */
export const RETRIEVAL_TOKEN_TYPES = {
  RetrievalToken: [
    { name: 'dealId', type: 'bytes32' },
    { name: 'columns', type: 'uint256' },
    { name: 'grantee', type: 'address' },
    { name: 'scope', type: 'uint8' },
    { name: 'issuedAt', type: 'uint64' },
    { name: 'expiresAt', type: 'uint64' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

/** A token's signed fields. */
export interface RetrievalTokenFields {
  /** The deal (file id) the token opens. */
  dealId: Hex;
  /** Bit i set: column i may be read; 0n: every column of the deal. */
  columns: bigint;
  /** Who must co-sign each request; the zero address lets any bearer use the token. */
  grantee: Address;
  /** `TOKEN_SCOPE` bits. */
  scope: number;
  /** Unix seconds when the token was made (revoke-all compares with it). */
  issuedAt: bigint;
  /** Unix seconds after which nodes refuse it. */
  expiresAt: bigint;
  /** 32 random bytes; `revokeToken(dealId, nonce)` kills this token alone. */
  nonce: Hex;
}

/** A signed token. */
export interface RetrievalToken extends RetrievalTokenFields {
  /** The issuer's 65-byte EIP-712 signature. */
  signature: Hex;
}

/** Where a token is valid: the chain and the Marketplace that records deals, delegates and revocations. */
export interface TokenDomain {
  chainId: number;
  market: Address;
}

/** The request header that may carry a token (signed URLs carry it as `?token=`). */
export const TOKEN_HEADER = 'x-dhost-token';
/** The query parameter of a signed URL. */
export const TOKEN_QUERY = 'token';

const VERSION = 1;
const ENCODED_BYTES = 1 + 32 + 32 + 20 + 1 + 8 + 8 + 32 + 65;
const MAX_UINT64 = 2n ** 64n - 1n;
const ALL_SCOPES = TOKEN_SCOPE.read | TOKEN_SCOPE.repair;

/**
 * The EIP-712 typed data of a token, ready for `signTypedData` or `recoverTypedDataAddress`.
 *
 * @example
 * const typed = retrievalTokenTypedData({ chainId: 31337, market }, fields);
 * const signature = await owner.signTypedData(typed);
 */
export function retrievalTokenTypedData(domain: TokenDomain, fields: RetrievalTokenFields) {
  return {
    domain: { name: 'dhost Marketplace', version: '1', chainId: domain.chainId, verifyingContract: domain.market },
    types: RETRIEVAL_TOKEN_TYPES,
    primaryType: 'RetrievalToken' as const,
    message: {
      dealId: fields.dealId,
      columns: fields.columns,
      grantee: fields.grantee,
      scope: fields.scope,
      issuedAt: fields.issuedAt,
      expiresAt: fields.expiresAt,
      nonce: fields.nonce,
    },
  };
}

/**
 * Signs a retrieval token. Defaults: every column, any bearer, read scope, issued now, a random
 * nonce. Throws `RetrievalTokenError('TOKEN_MALFORMED')` for fields out of range.
 *
 * @example
 * const token = await signRetrievalToken({ account: owner }, { chainId: 31337, market, dealId, expiresAt: BigInt(now + 86_400) });
 * const url = `${endpoint}/slots/${slotId}/shards/0?token=${encodeRetrievalToken(token)}`;
 */
export async function signRetrievalToken(
  deps: { account: Pick<LocalAccount, 'signTypedData'>; now?: () => number },
  params: TokenDomain & {
    dealId: Hex;
    expiresAt: bigint;
    columns?: bigint | readonly number[];
    grantee?: Address;
    scope?: number;
    issuedAt?: bigint;
    nonce?: Hex;
  },
): Promise<RetrievalToken> {
  const now = deps.now ?? Date.now;
  const fields: RetrievalTokenFields = {
    dealId: params.dealId.toLowerCase() as Hex,
    columns: typeof params.columns === 'bigint' ? params.columns : columnMask(params.columns ?? []),
    grantee: getAddress(params.grantee ?? zeroAddress),
    scope: params.scope ?? TOKEN_SCOPE.read,
    issuedAt: params.issuedAt ?? BigInt(Math.floor(now() / 1000)),
    expiresAt: params.expiresAt,
    nonce: (params.nonce ?? `0x${randomBytes(32).toString('hex')}`).toLowerCase() as Hex,
  };
  checkFields(fields);
  const signature = await deps.account.signTypedData(retrievalTokenTypedData(params, fields));
  return { ...fields, signature };
}

/**
 * The column bit set of a list of columns (`[]` → 0n, every column).
 *
 * @example
 * columnMask([0, 2]); // 5n
 */
export function columnMask(columns: readonly number[]): bigint {
  let mask = 0n;
  for (const column of columns) {
    if (!Number.isInteger(column) || column < 0 || column > 255) {
      throw new RetrievalTokenError('TOKEN_MALFORMED', 'a token column must be an integer from 0 to 255', { details: { column } });
    }
    mask |= 1n << BigInt(column);
  }
  return mask;
}

/**
 * True when the token lets its holder read `column` (an empty set means every column).
 *
 * @example
 * tokenCoversColumn({ ...token, columns: 5n }, 2); // true
 */
export function tokenCoversColumn(token: Pick<RetrievalTokenFields, 'columns'>, column: number): boolean {
  return token.columns === 0n || ((token.columns >> BigInt(column)) & 1n) === 1n;
}

/**
 * Encodes a token as URL-safe base64 (no padding) of a fixed 199-byte layout: version, deal id,
 * columns, grantee, scope, issuedAt, expiresAt, nonce, signature.
 *
 * @example
 * const text = encodeRetrievalToken(token); // 266 characters, safe in a query string
 */
export function encodeRetrievalToken(token: RetrievalToken): string {
  checkFields(token);
  const out = Buffer.alloc(ENCODED_BYTES);
  let at = 0;
  out[at++] = VERSION;
  at += Buffer.from(token.dealId.slice(2), 'hex').copy(out, at);
  at += Buffer.from(token.columns.toString(16).padStart(64, '0'), 'hex').copy(out, at);
  at += Buffer.from(token.grantee.slice(2), 'hex').copy(out, at);
  out[at++] = token.scope;
  out.writeBigUInt64BE(token.issuedAt, at);
  at += 8;
  out.writeBigUInt64BE(token.expiresAt, at);
  at += 8;
  at += Buffer.from(token.nonce.slice(2), 'hex').copy(out, at);
  Buffer.from(token.signature.slice(2), 'hex').copy(out, at);
  return out.toString('base64url');
}

/**
 * Decodes a token made by `encodeRetrievalToken`. Checks its shape only (not the signature, the
 * expiry or the chain). Throws `RetrievalTokenError('TOKEN_MALFORMED')`.
 *
 * @example
 * const token = decodeRetrievalToken(url.searchParams.get('token') ?? '');
 */
export function decodeRetrievalToken(text: string): RetrievalToken {
  const malformed = (why: string) => new RetrievalTokenError('TOKEN_MALFORMED', `retrieval token is malformed: ${why}`);
  if (text.length > 400 || !/^[A-Za-z0-9_-]+$/.test(text)) throw malformed('not URL-safe base64');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== ENCODED_BYTES) throw malformed(`expected ${ENCODED_BYTES} bytes, got ${bytes.length}`);
  // One text per token: unused low bits of the last character must be zero.
  if (bytes.toString('base64url') !== text) throw malformed('not in canonical form');
  if (bytes[0] !== VERSION) throw malformed(`unknown version ${bytes[0]}`);
  const hex = (from: number, length: number) => `0x${bytes.subarray(from, from + length).toString('hex')}` as Hex;
  let at = 1;
  const dealId = hex(at, 32);
  at += 32;
  const columns = BigInt(hex(at, 32));
  at += 32;
  const grantee = getAddress(hex(at, 20));
  at += 20;
  const scope = bytes[at++];
  const issuedAt = bytes.readBigUInt64BE(at);
  at += 8;
  const expiresAt = bytes.readBigUInt64BE(at);
  at += 8;
  const nonce = hex(at, 32);
  at += 32;
  const signature = hex(at, 65);
  const token: RetrievalToken = { dealId, columns, grantee, scope, issuedAt, expiresAt, nonce, signature };
  checkFields(token);
  return token;
}

/**
 * The address that signed a token (owner or delegate: the caller checks which it may be).
 * Throws `RetrievalTokenError('TOKEN_SIGNATURE_INVALID')` when the signature recovers to nothing.
 *
 * @example
 * const issuer = await recoverTokenIssuer({ chainId: 31337, market }, token);
 */
export async function recoverTokenIssuer(domain: TokenDomain, token: RetrievalToken): Promise<Address> {
  try {
    return getAddress(await recoverTypedDataAddress({ ...retrievalTokenTypedData(domain, token), signature: token.signature }));
  } catch (cause) {
    throw new RetrievalTokenError('TOKEN_SIGNATURE_INVALID', 'the token signature does not recover to an address', { cause });
  }
}

/**
 * The permission a delegate needs to issue a token of this scope (`PERMISSION` bits, all required).
 *
 * @example
 * permissionsForScope(TOKEN_SCOPE.repair); // PERMISSION.repair
 */
export function permissionsForScope(scope: number): number {
  return ((scope & TOKEN_SCOPE.read) !== 0 ? PERMISSION.read : 0) | ((scope & TOKEN_SCOPE.repair) !== 0 ? PERMISSION.repair : 0);
}

function checkFields(fields: RetrievalTokenFields): void {
  const malformed = (why: string, details: Record<string, unknown>) =>
    new RetrievalTokenError('TOKEN_MALFORMED', `retrieval token is malformed: ${why}`, { details });
  if (!/^0x[0-9a-f]{64}$/.test(fields.dealId)) throw malformed('deal id must be 32 bytes of lowercase hex', { dealId: fields.dealId });
  if (!/^0x[0-9a-f]{64}$/.test(fields.nonce)) throw malformed('nonce must be 32 bytes of lowercase hex', { nonce: fields.nonce });
  if (fields.columns < 0n || fields.columns >= 2n ** 256n) throw malformed('columns must fit 256 bits', {});
  if (!Number.isInteger(fields.scope) || fields.scope < 1 || (fields.scope & ~ALL_SCOPES) !== 0) {
    throw malformed('scope must be a non-empty set of read (1) and repair (2)', { scope: fields.scope });
  }
  if (fields.issuedAt < 0n || fields.issuedAt > MAX_UINT64 || fields.expiresAt < 0n || fields.expiresAt > MAX_UINT64) {
    throw malformed('times must be unix seconds within 64 bits', {});
  }
  if (fields.expiresAt <= fields.issuedAt)
    throw malformed('it expires before it was issued', { issuedAt: String(fields.issuedAt), expiresAt: String(fields.expiresAt) });
  if ('signature' in fields && !/^0x[0-9a-fA-F]{130}$/.test((fields as RetrievalToken).signature)) throw malformed('signature must be 65 bytes', {});
}
