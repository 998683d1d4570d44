import { fromHex, utf8 } from './bytes';

/*
 * Key derivation in the browser, mirroring client/keys.ts: HKDF-SHA256 with 32-byte outputs, salt =
 * the file id's 32 bytes, info as in `KEY_INFO`. WebCrypto's HKDF is RFC 5869, as Node's
 * `hkdfSync`, so both give the same bytes (test/ui/share-page.test.ts checks this).
 */

/** The info strings of client/keys.ts `KEY_INFO` the page needs. */
export const KEY_INFO = {
  chunkKey: 'dhost/v1/chunk-key/',
  manifestKey: 'dhost/v1/manifest-key/',
  erasureChunkKey: 'dhost/v2/chunk-key',
  erasureManifestKey: 'dhost/v2/manifest-key',
} as const;

/**
 * HKDF-SHA256(ikm, salt, info) → 32 bytes, with WebCrypto.
 *
 * @example
 * const key = await hkdf32(fileKey, fileIdBytes, 'dhost/v2/chunk-key');
 */
export async function hkdf32(ikm: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, info: string): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8(info) }, base, 256);
  return new Uint8Array(bits);
}

/** Which sub-key: a column's chunk or manifest key (replication, manifest v1) or the erasure ones (v2). */
export type SubKey = { kind: 'chunk'; column: number } | { kind: 'manifest'; column: number } | { kind: 'erasure-chunk' } | { kind: 'erasure-manifest' };

/**
 * One sub-key of a file key, as client/keys.ts derives it (`deriveChunkKey`, `deriveManifestKey`,
 * `deriveErasureChunkKey`, `deriveErasureManifestKey`).
 *
 * @example
 * const chunkKey = await deriveSubKey({ fileKey, fileId, key: { kind: 'chunk', column: 1 } });
 */
export function deriveSubKey(p: { fileKey: Uint8Array<ArrayBuffer>; fileId: string; key: SubKey }): Promise<Uint8Array<ArrayBuffer>> {
  const info =
    p.key.kind === 'chunk'
      ? `${KEY_INFO.chunkKey}${p.key.column}`
      : p.key.kind === 'manifest'
        ? `${KEY_INFO.manifestKey}${p.key.column}`
        : p.key.kind === 'erasure-chunk'
          ? KEY_INFO.erasureChunkKey
          : KEY_INFO.erasureManifestKey;
  return hkdf32(p.fileKey, fromHex(p.fileId), info);
}
