import { fromBase64Url, readUint, toHex } from './bytes';
import { ShareError } from './share-error';

/**
 * A retrieval token as the share page reads it (protocol/retrieval-token.ts, `decodeRetrievalToken`):
 * the same fixed 199-byte layout, shape only — the nodes check the signature, the expiry and the
 * chain; the page only needs the deal, the columns, the grantee and the dates.
 */
export interface ShareToken {
  dealId: string;
  /** Bit i set: column i may be read; 0n: every column. */
  columns: bigint;
  /** Lowercase 0x-hex; all zeros for a bearer token. */
  grantee: string;
  scope: number;
  issuedAt: bigint;
  expiresAt: bigint;
  nonce: string;
}

const VERSION = 1;
const ENCODED_BYTES = 1 + 32 + 32 + 20 + 1 + 8 + 8 + 32 + 65;
const ZERO_ADDRESS = `0x${'0'.repeat(40)}`;

/**
 * Decodes a token's URL-safe base64 text. Throws `ShareError('TOKEN_MALFORMED')`.
 *
 * @example
 * const token = decodeShareToken('AQ…');
 */
export function decodeShareToken(text: string): ShareToken {
  const bytes = text.length <= 400 ? fromBase64Url(text) : undefined;
  if (!bytes || bytes.length !== ENCODED_BYTES || bytes[0] !== VERSION) {
    throw new ShareError('TOKEN_MALFORMED', 'the link’s access token is damaged (was the link cut short when it was copied?)');
  }
  let at = 1;
  const hex = (length: number) => {
    const out = `0x${toHex(bytes.subarray(at, at + length))}`;
    at += length;
    return out;
  };
  const dealId = hex(32);
  const columns = readUint(bytes, at, 32);
  at += 32;
  const grantee = hex(20);
  const scope = bytes[at++];
  const issuedAt = readUint(bytes, at, 8);
  const expiresAt = readUint(bytes, at + 8, 8);
  at += 16;
  const nonce = hex(32);
  return { dealId, columns, grantee, scope, issuedAt, expiresAt, nonce };
}

/**
 * True when the token names a grantee, who must co-sign every request with its own key (which a
 * browser opening a link does not have).
 *
 * @example
 * isGranteeBound(token); // false for a bearer link
 */
export function isGranteeBound(token: Pick<ShareToken, 'grantee'>): boolean {
  return token.grantee !== ZERO_ADDRESS;
}

/**
 * True when the token opens `column` (an empty set opens every column), as `tokenCoversColumn`.
 *
 * @example
 * tokenOpensColumn({ columns: 5n }, 2); // true
 */
export function tokenOpensColumn(token: Pick<ShareToken, 'columns'>, column: number): boolean {
  return token.columns === 0n || ((token.columns >> BigInt(column)) & 1n) === 1n;
}
