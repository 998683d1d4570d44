import { concatBytes, fromHex, uintBytes, utf8 } from './bytes';
import { ShareError } from './share-error';

/*
 * AES-256-GCM as client/cipher.ts and client/manifest.ts use it, with WebCrypto (which takes
 * ciphertext ‖ tag as one buffer, the layout the client stores).
 */

/** The chunk format version (`FORMAT_VERSION`), first byte of a chunk's associated data. */
export const FORMAT_VERSION = 1;
/** Length of the GCM tag at the end of every shard and manifest copy. */
export const TAG_BYTES = 16;
/** Length of a GCM nonce. */
export const NONCE_BYTES = 12;

/**
 * A chunk's nonce: its index as a 12-byte big-endian integer (`chunkNonce`).
 *
 * @example
 * chunkNonce(1); // 00 … 00 01
 */
export function chunkNonce(index: number): Uint8Array<ArrayBuffer> {
  return uintBytes(index, NONCE_BYTES);
}

/**
 * A chunk's associated data: version (1) ‖ file id (32) ‖ index (uint64 BE) ‖ is-last (1)
 * (`chunkAssociatedData`).
 *
 * @example
 * const ad = chunkAssociatedData({ fileId, index: 0, isLast: true });
 */
export function chunkAssociatedData(p: { fileId: string; index: number; isLast: boolean }): Uint8Array<ArrayBuffer> {
  return concatBytes([Uint8Array.of(FORMAT_VERSION), fromHex(p.fileId), uintBytes(p.index, 8), Uint8Array.of(p.isLast ? 1 : 0)]);
}

/**
 * AES-256-GCM open of `ciphertext ‖ tag`; undefined when the tag does not check out.
 *
 * @example
 * const plain = await openGcm({ key, nonce, aad, sealed });
 */
export async function openGcm(p: {
  key: Uint8Array<ArrayBuffer>;
  nonce: Uint8Array<ArrayBuffer>;
  aad: Uint8Array<ArrayBuffer>;
  sealed: Uint8Array<ArrayBuffer>;
}): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const key = await crypto.subtle.importKey('raw', p.key, 'AES-GCM', false, ['decrypt']);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: p.nonce, additionalData: p.aad, tagLength: TAG_BYTES * 8 }, key, p.sealed));
  } catch {
    return undefined;
  }
}

/**
 * Decrypts one shard made by the client's `encryptChunk` (nonce = index, associated data as
 * `chunkAssociatedData`). Throws `ShareError('DECRYPTION_FAILED')` when the tag fails.
 *
 * @example
 * const plaintext = await decryptChunk({ key: chunkKey, fileId, index: 0, isLast: true, shard });
 */
export async function decryptChunk(p: {
  key: Uint8Array<ArrayBuffer>;
  fileId: string;
  index: number;
  isLast: boolean;
  shard: Uint8Array<ArrayBuffer>;
}): Promise<Uint8Array<ArrayBuffer>> {
  const plain =
    p.shard.length < TAG_BYTES ? undefined : await openGcm({ key: p.key, nonce: chunkNonce(p.index), aad: chunkAssociatedData(p), sealed: p.shard });
  if (!plain) throw new ShareError('DECRYPTION_FAILED', `chunk ${p.index} failed its authentication tag (wrong key, or altered bytes)`, { index: p.index });
  return plain;
}

/** The ASCII word in every manifest's associated data. */
export const MANIFEST_WORD = utf8('manifest');
