import { createCipheriv, createDecipheriv } from 'node:crypto';
import { InvalidInputError } from '../protocol/errors';
import type { FileId } from '../protocol/ids';
import { DecryptionError } from './errors';
import { KEY_BYTES } from './keys';
import { loadNativeGcm, type NativeGcm } from './native-gcm';

/** The native AES-256-GCM when it is built (loaded once, as a module is), else Node's crypto. */
const defaultGcm = loadNativeGcm();

/** The chunk format version, the first byte of every chunk's associated data. */
export const FORMAT_VERSION = 1;
/** Length of the AES-GCM authentication tag appended to every shard. */
export const TAG_BYTES = 16;
/** Length of an AES-GCM nonce. */
export const NONCE_BYTES = 12;

/**
 * The nonce of a chunk: its index as a 12-byte big-endian integer. Unique per key because each
 * (file, column) has its own chunk key and each index is encrypted once under it (a moved column
 * re-encrypts the same plaintext, which gives the same bytes, never different bytes under the same
 * nonce: the upload checks that first).
 *
 * @example
 * chunkNonce(1); // 00 00 00 00 00 00 00 00 00 00 00 01
 */
export function chunkNonce(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) throw new InvalidInputError('chunk index must be a non-negative safe integer', { details: { index } });
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeBigUInt64BE(BigInt(index), NONCE_BYTES - 8);
  return nonce;
}

/**
 * A chunk's associated data: format version (1 byte) ‖ file id (32 bytes) ‖ chunk index (uint64
 * big-endian) ‖ is-last (1 byte, 1 or 0). A shard therefore decrypts only at its own place in its
 * own file: swapping, reordering, truncating or extending a file fails the tag check.
 *
 * @example
 * const ad = chunkAssociatedData({ fileId, index: 0, isLast: true });
 */
export function chunkAssociatedData(params: { fileId: FileId; index: number; isLast: boolean }): Uint8Array {
  const ad = Buffer.alloc(1 + 32 + 8 + 1);
  ad.writeUInt8(FORMAT_VERSION, 0);
  Buffer.from(params.fileId.slice(2), 'hex').copy(ad, 1);
  ad.writeBigUInt64BE(BigInt(params.index), 33);
  ad.writeUInt8(params.isLast ? 1 : 0, 41);
  return ad;
}

const ENCRYPT_STEP_BYTES = 64 * 1024;

/**
 * Encrypts one (zero-padded) chunk with AES-256-GCM into a shard: ciphertext ‖ 16-byte tag. With
 * `into` (exactly plaintext + 16 bytes, e.g. a slice of a reused row buffer) the shard is written
 * there and `into` is returned; otherwise a new buffer is.
 *
 * @example
 * const shard = encryptChunk({ key: chunkKey, fileId, index: 0, isLast: false, plaintext });
 */
export function encryptChunk(params: {
  key: Uint8Array;
  fileId: FileId;
  index: number;
  isLast: boolean;
  plaintext: Uint8Array;
  into?: Uint8Array;
  /** The AES-256-GCM to use: the native one by default when built, `false` for Node's. */
  gcm?: NativeGcm | false;
}): Uint8Array {
  if (params.key.length !== KEY_BYTES) throw new InvalidInputError(`chunk key must be ${KEY_BYTES} bytes`);
  if (params.into && params.into.length !== params.plaintext.length + TAG_BYTES) {
    throw new InvalidInputError(`the output of a chunk's encryption must have ${params.plaintext.length + TAG_BYTES} bytes`, {
      details: { into: params.into.length },
    });
  }
  const gcm = params.gcm === false ? undefined : (params.gcm ?? defaultGcm);
  if (gcm) {
    const out = params.into ?? Buffer.allocUnsafe(params.plaintext.length + TAG_BYTES);
    const length = params.plaintext.length;
    const inPlace = params.plaintext.buffer === out.buffer && params.plaintext.byteOffset === out.byteOffset;
    if (!inPlace) out.set(params.plaintext);
    gcm.seal(params.key, chunkNonce(params.index), chunkAssociatedData(params), out.subarray(0, length), out.subarray(length));
    return out;
  }
  const cipher = createCipheriv('aes-256-gcm', params.key, chunkNonce(params.index), { authTagLength: TAG_BYTES });
  cipher.setAAD(chunkAssociatedData(params));
  const out = params.into
    ? Buffer.from(params.into.buffer, params.into.byteOffset, params.into.length)
    : Buffer.allocUnsafe(params.plaintext.length + TAG_BYTES);
  // In 64 KiB steps: each step's output is a small, short-lived buffer (malloc reuses its memory
  // at once) instead of one more chunk-sized allocation per chunk.
  let written = 0;
  for (let at = 0; at < params.plaintext.length; at += ENCRYPT_STEP_BYTES) {
    written += cipher.update(params.plaintext.subarray(at, at + ENCRYPT_STEP_BYTES)).copy(out, written);
  }
  written += cipher.final().copy(out, written);
  cipher.getAuthTag().copy(out, written);
  return params.into ?? out;
}

/**
 * Decrypts a shard made by `encryptChunk`. Throws `DecryptionError` when the tag does not check
 * out: altered bytes, another key (column or file), another index, file id or last flag.
 *
 * With `inPlace` the plaintext is written over the shard's own ciphertext and returned as a view
 * of it (no second chunk-sized buffer): for a caller that owns the shard and needs it no more.
 * The shard's bytes are overwritten even when the tag then fails.
 *
 * @example
 * const plaintext = decryptChunk({ key: chunkKey, fileId, index: 0, isLast: false, shard });
 */
export function decryptChunk(params: {
  key: Uint8Array;
  fileId: FileId;
  index: number;
  isLast: boolean;
  shard: Uint8Array;
  inPlace?: boolean;
  /** The AES-256-GCM to use: the native one by default when built, `false` for Node's. */
  gcm?: NativeGcm | false;
}): Uint8Array {
  const { shard } = params;
  if (shard.length < TAG_BYTES)
    throw new DecryptionError(`shard ${params.index} is shorter than its tag`, { details: { index: params.index, length: shard.length } });
  const gcm = params.gcm === false ? undefined : (params.gcm ?? defaultGcm);
  if (gcm) {
    const length = shard.length - TAG_BYTES;
    const data = params.inPlace ? Buffer.from(shard.buffer, shard.byteOffset, length) : Buffer.from(shard.subarray(0, length));
    if (params.key.length !== KEY_BYTES || !gcm.open(params.key, chunkNonce(params.index), chunkAssociatedData(params), data, shard.subarray(length))) {
      throw new DecryptionError(`chunk ${params.index} failed its authentication tag (wrong key, wrong place or altered bytes)`, {
        details: { index: params.index, isLast: params.isLast },
      });
    }
    return data;
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', params.key, chunkNonce(params.index), { authTagLength: TAG_BYTES });
    decipher.setAAD(chunkAssociatedData(params));
    decipher.setAuthTag(shard.subarray(shard.length - TAG_BYTES));
    const ciphertext = shard.subarray(0, shard.length - TAG_BYTES);
    if (!params.inPlace) {
      const body = decipher.update(ciphertext);
      const final = decipher.final();
      return final.length === 0 ? body : Buffer.concat([body, final]);
    }
    // Step by step, each step's plaintext over the ciphertext it came from (already read).
    const out = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length);
    let written = 0;
    for (let at = 0; at < ciphertext.length; at += ENCRYPT_STEP_BYTES) {
      written += decipher.update(ciphertext.subarray(at, at + ENCRYPT_STEP_BYTES)).copy(out, written);
    }
    written += decipher.final().copy(out, written);
    return out.subarray(0, written);
  } catch (cause) {
    throw new DecryptionError(`chunk ${params.index} failed its authentication tag (wrong key, wrong place or altered bytes)`, {
      details: { index: params.index, isLast: params.isLast },
      cause,
    });
  }
}
