import { hkdfSync } from 'node:crypto';
import type { Hex } from 'viem';
import { InvalidInputError } from '../protocol/errors';
import type { FileId } from '../protocol/ids';
import { parseColumn } from '../protocol/ids';

/**
 * Key derivation, all HKDF-SHA256 with 32-byte outputs:
 *
 * | key | input key material | salt | info |
 * |---|---|---|---|
 * | master | the account's private key (32 bytes) | empty | `dhost/v1/master` |
 * | file key | master | file id (32 bytes) | `dhost/v1/file-key` |
 * | chunk key of column c | file key | file id | `dhost/v1/chunk-key/c` |
 * | manifest key of column c | file key | file id | `dhost/v1/manifest-key/c` |
 * | erasure chunk key | file key | file id | `dhost/v2/chunk-key` |
 * | erasure manifest key | file key | file id | `dhost/v2/manifest-key` |
 *
 * The file id is random per upload, so every upload gets a fresh file key even for the same
 * plaintext; one chunk key per column makes every replica's bytes differ (one disk cannot answer
 * for several slots); the handle carries only the file key, and everything below it is derived.
 * Under erasure coding (manifest version 2) every chunk is encrypted once, under the one erasure
 * chunk key (the columns differ anyway: each holds other data or parity shards), and the one
 * manifest copy stored in every column under the one erasure manifest key.
 */
export const KEY_INFO = {
  master: 'dhost/v1/master',
  fileKey: 'dhost/v1/file-key',
  chunkKey: 'dhost/v1/chunk-key/',
  manifestKey: 'dhost/v1/manifest-key/',
  erasureChunkKey: 'dhost/v2/chunk-key',
  erasureManifestKey: 'dhost/v2/manifest-key',
} as const;

/** Length of every key, in bytes (AES-256). */
export const KEY_BYTES = 32;

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), KEY_BYTES));
}

function fileIdBytes(fileId: FileId): Uint8Array {
  return Buffer.from(fileId.slice(2), 'hex');
}

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== KEY_BYTES) throw new InvalidInputError(`${what} must be ${KEY_BYTES} bytes`, { details: { length: key.length } });
}

/**
 * The user's master secret: HKDF-SHA256(private key, salt = empty, info = `dhost/v1/master`). It
 * depends only on the account key, so whoever keeps the account key (or its backup) can re-derive
 * every file key: a lost local keystore loses no file.
 *
 * @example
 * const master = masterFromPrivateKey('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
 */
export function masterFromPrivateKey(privateKey: Hex): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new InvalidInputError('private key must be 32 bytes of 0x-hex');
  return hkdf(Buffer.from(privateKey.slice(2), 'hex'), new Uint8Array(0), KEY_INFO.master);
}

/**
 * A file's key: HKDF-SHA256(master, salt = file id, info = `dhost/v1/file-key`). This is the key a
 * handle carries.
 *
 * @example
 * const fileKey = deriveFileKey({ master, fileId });
 */
export function deriveFileKey(params: { master: Uint8Array; fileId: FileId }): Uint8Array {
  checkKey(params.master, 'master secret');
  return hkdf(params.master, fileIdBytes(params.fileId), KEY_INFO.fileKey);
}

/**
 * The key that encrypts every chunk of one column (under replication each column has its own, so
 * replicas differ byte for byte).
 *
 * @example
 * const key = deriveChunkKey({ fileKey, fileId, column: 0 });
 */
export function deriveChunkKey(params: { fileKey: Uint8Array; fileId: FileId; column: number }): Uint8Array {
  checkKey(params.fileKey, 'file key');
  parseColumn(params.column);
  return hkdf(params.fileKey, fileIdBytes(params.fileId), `${KEY_INFO.chunkKey}${params.column}`);
}

/**
 * The key that encrypts the manifest copy stored in one column.
 *
 * @example
 * const key = deriveManifestKey({ fileKey, fileId, column: 2 });
 */
export function deriveManifestKey(params: { fileKey: Uint8Array; fileId: FileId; column: number }): Uint8Array {
  checkKey(params.fileKey, 'file key');
  parseColumn(params.column);
  return hkdf(params.fileKey, fileIdBytes(params.fileId), `${KEY_INFO.manifestKey}${params.column}`);
}

/**
 * The key that encrypts every chunk of an erasure-coded file (once; no column: the columns hold
 * different shards of the stripes).
 *
 * @example
 * const key = deriveErasureChunkKey({ fileKey, fileId });
 */
export function deriveErasureChunkKey(params: { fileKey: Uint8Array; fileId: FileId }): Uint8Array {
  checkKey(params.fileKey, 'file key');
  return hkdf(params.fileKey, fileIdBytes(params.fileId), KEY_INFO.erasureChunkKey);
}

/**
 * The key that encrypts the manifest of an erasure-coded file: one ciphertext, stored in every
 * column (so a repairer without the key can copy it to a rebuilt column).
 *
 * @example
 * const key = deriveErasureManifestKey({ fileKey, fileId });
 */
export function deriveErasureManifestKey(params: { fileKey: Uint8Array; fileId: FileId }): Uint8Array {
  checkKey(params.fileKey, 'file key');
  return hkdf(params.fileKey, fileIdBytes(params.fileId), KEY_INFO.erasureManifestKey);
}
