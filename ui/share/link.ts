import { fromBase64Url } from './bytes';
import { ShareError } from './share-error';
import { decodeShareToken, type ShareToken } from './token';

/** A share link as the page reads it (client/share-link.ts and client/handle.ts, same rules). */
export interface ShareLinkParts {
  /** The deal whose columns hold the file (0x-hex). */
  dealId: string;
  /** The file's own id (the deal id for a file uploaded alone). */
  fileId: string;
  /** The 32-byte file key, from the fragment. */
  fileKey: Uint8Array<ArrayBuffer>;
  /** Where each column keeps the file's manifest: `manifest`, or a shard index inside a batch. */
  manifestIndex: number | 'manifest';
  /** Shard index of the file's first stripe (chunk under replication). */
  firstShard: number;
  tokenText: string;
  token: ShareToken;
}

const SINGLE = /^dhost:\/\/([0-9a-f]{64})\?t=([A-Za-z0-9_-]{1,400})#([A-Za-z0-9_-]{43})$/;
const BATCH = /^dhost:\/\/([0-9a-f]{64})\/([0-9a-f]{64})\?m=(0|[1-9][0-9]{0,9})&o=(0|[1-9][0-9]{0,9})&t=([A-Za-z0-9_-]{1,400})#([A-Za-z0-9_-]{43})$/;
const MAX_SHARD_INDEX = 0x7fffffff;

/**
 * Reads the link from the page's fragment: the whole `dhost://` link, URI-encoded
 * (`formatWebShareLink`); undefined when the fragment is empty.
 *
 * @example
 * linkFromHash('#dhost%3A%2F%2F3f…'); // 'dhost://3f…'
 */
export function linkFromHash(hash: string): string | undefined {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text.trim() === '') return undefined;
  try {
    return decodeURIComponent(text).trim();
  } catch {
    throw new ShareError('LINK_MALFORMED', 'the address does not hold a well-formed share link');
  }
}

/**
 * Parses a share link: `dhost://<deal>?t=<token>#<key>` or, for a file in a batch,
 * `dhost://<deal>/<file>?m=<index>&o=<index>&t=<token>#<key>`. A plain handle (no token) cannot be
 * opened in a browser: nodes serve shards only to a token's holder. Throws `ShareError`.
 *
 * @example
 * const { dealId, fileKey, token } = parseShareLink('dhost://3f…?t=AQ…#q1…');
 */
export function parseShareLink(text: string): ShareLinkParts {
  const link = text.trim();
  const single = SINGLE.exec(link);
  const batch = single ? undefined : BATCH.exec(link);
  if (!single && !batch) {
    if (/^dhost:\/\/[^?#]+#/.test(link)) {
      throw new ShareError('LINK_WITHOUT_TOKEN', 'this is a file handle without an access token: ask the owner for a share link (dhost share)');
    }
    throw new ShareError('LINK_MALFORMED', 'a share link looks like dhost://<64 hex digits>?t=<token>#<key>');
  }
  const [dealHex, fileHex, m, o, tokenText, keyText] = single
    ? [single[1], single[1], 'manifest', '0', single[2], single[3]]
    : [batch![1], batch![2], batch![3], batch![4], batch![5], batch![6]];
  const fileKey = fromBase64Url(keyText);
  if (fileKey?.length !== 32) throw new ShareError('LINK_MALFORMED', 'the key part of the link is not a 32-byte key');
  const manifestIndex = m === 'manifest' ? 'manifest' : Number(m);
  const firstShard = Number(o);
  if (manifestIndex !== 'manifest' && (manifestIndex > MAX_SHARD_INDEX || firstShard > manifestIndex)) {
    throw new ShareError('LINK_MALFORMED', 'the batch indices of the link are out of order');
  }
  const token = decodeShareToken(tokenText);
  const dealId = `0x${dealHex}`;
  if (token.dealId !== dealId) throw new ShareError('LINK_MALFORMED', 'the link’s token opens another file than the link names');
  return { dealId, fileId: `0x${fileHex}`, fileKey, manifestIndex, firstShard, tokenText, token };
}
