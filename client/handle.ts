import { MANIFEST_INDEX, MAX_SHARD_INDEX, type ShardIndex } from '../protocol/column';
import { type FileId, parseFileId } from '../protocol/ids';
import { InvalidHandleError } from './errors';
import { deriveFileKey, KEY_BYTES } from './keys';

/** The scheme every handle starts with. */
export const HANDLE_SCHEME = 'dhost://';

const HANDLE = /^dhost:\/\/([0-9a-f]{64})#([A-Za-z0-9_-]{43})$/;

/**
 * Formats a file handle: `dhost://<file id, 64 lowercase hex digits without 0x>#<file key,
 * base64url without padding>`. The key sits in the fragment, the part of a URL that is never sent
 * to a server. The handle alone is enough to download the file.
 *
 * @example
 * const handle = formatHandle({ fileId, fileKey }); // 'dhost://3f…9a#q1w2…'
 */
export function formatHandle(p: { fileId: FileId; fileKey: Uint8Array }): string {
  const fileId = parseFileId(p.fileId);
  if (p.fileKey.length !== KEY_BYTES) throw new InvalidHandleError(`file key must be ${KEY_BYTES} bytes`, { details: { length: p.fileKey.length } });
  return `${HANDLE_SCHEME}${fileId.slice(2)}#${Buffer.from(p.fileKey).toString('base64url')}`;
}

/**
 * Parses a handle made by `formatHandle`. Throws `InvalidHandleError` for anything else: another
 * scheme, a file id that is not 64 lowercase hex digits, a key that is not 32 bytes of base64url,
 * extra characters. Surrounding white space (from copy and paste) is ignored.
 *
 * @example
 * const { fileId, fileKey } = parseHandle('dhost://3f…9a#q1w2…');
 */
export function parseHandle(h: string): { fileId: FileId; fileKey: Uint8Array } {
  const text = typeof h === 'string' ? h.trim() : '';
  const match = HANDLE.exec(text);
  if (!match) {
    throw new InvalidHandleError('a handle is dhost://<64 lowercase hex digits>#<43 base64url characters>', {
      details: { handle: text.length > 200 ? `${text.slice(0, 200)}…` : text.replace(/#.*/, '#…') },
    });
  }
  const fileKey = new Uint8Array(Buffer.from(match[2], 'base64url'));
  // 43 base64url characters carry 258 bits: the last character's two low bits must be zero (canonical form).
  if (fileKey.length !== KEY_BYTES || Buffer.from(fileKey).toString('base64url') !== match[2]) {
    throw new InvalidHandleError('the key part of the handle is not a canonical 32-byte base64url key');
  }
  return { fileId: `0x${match[1]}` as FileId, fileKey };
}

const BATCH_HANDLE = /^dhost:\/\/([0-9a-f]{64})\/([0-9a-f]{64})\?m=(0|[1-9][0-9]{0,9})&o=(0|[1-9][0-9]{0,9})#([A-Za-z0-9_-]{43})$/;

/** Where a file's bytes sit: its deal, the shard index of its manifest, the shard index of its first stripe. */
export interface FileLocation {
  fileId: FileId;
  fileKey: Uint8Array;
  /** The deal whose columns hold the file: the file id itself for a file uploaded alone. */
  dealId: FileId;
  /** Where every column keeps the file's encrypted manifest: `manifest` alone, a number inside a batch. */
  manifestIndex: ShardIndex;
  /** The shard index of the file's first stripe (chunk under replication): 0 alone. */
  firstShard: number;
}

/**
 * Formats the handle of a file uploaded in a batch (docs/batches.md): `dhost://<deal id>/<file
 * id>?m=<manifest index>&o=<first shard index>#<file key>`, ids as 64 lowercase hex digits, indices
 * as canonical decimals, the key as base64url in the fragment (never sent to a server).
 *
 * @example
 * formatBatchHandle({ dealId, fileId, fileKey, manifestIndex: 7, firstShard: 2 }); // 'dhost://9c…/3f…?m=7&o=2#q1…'
 */
export function formatBatchHandle(p: { dealId: FileId; fileId: FileId; fileKey: Uint8Array; manifestIndex: number; firstShard: number }): string {
  const dealId = parseFileId(p.dealId);
  const single = formatHandle({ fileId: p.fileId, fileKey: p.fileKey });
  const checkIndex = (what: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > MAX_SHARD_INDEX)
      throw new InvalidHandleError(`${what} must be a shard index in [0, ${MAX_SHARD_INDEX}]`, { details: { [what]: v } });
  };
  checkIndex('manifestIndex', p.manifestIndex);
  checkIndex('firstShard', p.firstShard);
  if (p.firstShard > p.manifestIndex) throw new InvalidHandleError('a file manifest sits after its stripes', { details: { ...p, fileKey: undefined } });
  const [, rest] = single.split(HANDLE_SCHEME);
  const [fileHex, key] = rest.split('#');
  return `${HANDLE_SCHEME}${dealId.slice(2)}/${fileHex}?m=${p.manifestIndex}&o=${p.firstShard}#${key}`;
}

/**
 * Parses either handle form: `dhost://<file id>#<key>` (a file uploaded alone: deal id = file id,
 * manifest at `manifest`, first shard 0) or `dhost://<deal id>/<file id>?m=<index>&o=<index>#<key>`
 * (a file in a batch). Throws `InvalidHandleError` for anything else, for indices above 2^31 − 1,
 * or a first shard after the manifest index.
 *
 * @example
 * const { dealId, fileId, fileKey, manifestIndex, firstShard } = parseAnyHandle('dhost://9c…/3f…?m=7&o=2#q1…');
 */
export function parseAnyHandle(h: string): FileLocation {
  const text = typeof h === 'string' ? h.trim() : '';
  const match = BATCH_HANDLE.exec(text);
  if (!match) {
    if (text.startsWith(HANDLE_SCHEME) && !text.slice(HANDLE_SCHEME.length).includes('/')) {
      const { fileId, fileKey } = parseHandle(text);
      return { fileId, fileKey, dealId: fileId, manifestIndex: MANIFEST_INDEX, firstShard: 0 };
    }
    throw new InvalidHandleError('a handle is dhost://<64 hex>#<key> or, for a file in a batch, dhost://<64 hex>/<64 hex>?m=<index>&o=<index>#<key>', {
      details: { handle: text.length > 200 ? `${text.slice(0, 200)}…` : text.replace(/#.*/, '#…') },
    });
  }
  const { fileId, fileKey } = parseHandle(`${HANDLE_SCHEME}${match[2]}#${match[5]}`);
  const manifestIndex = Number(match[3]);
  const firstShard = Number(match[4]);
  if (manifestIndex > MAX_SHARD_INDEX || firstShard > manifestIndex)
    throw new InvalidHandleError(`the indices of a batch handle must satisfy o <= m <= ${MAX_SHARD_INDEX}`, { details: { manifestIndex, firstShard } });
  return { fileId, fileKey, dealId: `0x${match[1]}` as FileId, manifestIndex, firstShard };
}

/**
 * The handle of a recorded upload (a keystore entry), made again from the master secret: the
 * single-file form, or the batch form when the entry names its batch.
 *
 * @example
 * for (const entry of await keystore.listUploads()) console.log(handleOfUpload({ master, entry }));
 */
export function handleOfUpload(p: {
  master: Uint8Array;
  entry: { fileId: string; batch?: { dealId: string; manifestIndex: number; firstShard: number } };
}): string {
  const fileId = parseFileId(p.entry.fileId);
  const fileKey = deriveFileKey({ master: p.master, fileId });
  if (!p.entry.batch) return formatHandle({ fileId, fileKey });
  const { dealId, manifestIndex, firstShard } = p.entry.batch;
  return formatBatchHandle({ dealId: parseFileId(dealId), fileId, fileKey, manifestIndex, firstShard });
}
