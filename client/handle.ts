import { type FileId, parseFileId } from '../protocol/ids';
import { InvalidHandleError } from './errors';
import { KEY_BYTES } from './keys';

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
