import { concatBytes, fromBase64, fromHex, readUint, uintBytes } from './bytes';
import { FORMAT_VERSION, MANIFEST_WORD, NONCE_BYTES, openGcm, TAG_BYTES } from './cipher';
import { deriveSubKey } from './keys';
import { ShareError } from './share-error';

/*
 * The file's manifest, decrypted in the browser exactly as client/manifest.ts `decryptManifest`
 * does (`openManifestJson`): version 1 (`DHM1` ‖ nonce ‖ ciphertext ‖ tag, per-column manifest key,
 * associated data 1 ‖ file id ‖ "manifest" ‖ uint32 column) and version 2 (28-byte clear header ‖
 * nonce ‖ ciphertext ‖ tag, the erasure manifest key, associated data 2 ‖ file id ‖ "manifest" ‖
 * header). Then the fields the page relies on are checked as the client's schema checks them.
 */

/** What the page needs of a manifest, either version. */
export interface PageManifest {
  version: 1 | 2;
  fileId: string;
  name: string;
  size: number;
  mediaType: string;
  chunkSize: number;
  chunkCount: number;
  lastChunkLength: number;
  redundancy: { scheme: 'replicate'; replicas: number } | { scheme: 'rs'; dataShards: number; parityShards: number };
  /** Version 2 only: bytes per shard (chunk size + tag) and number of stripes. */
  shardSize?: number;
  stripeCount?: number;
  /** Per column, 32 bytes of SHA-256 per shard index (chunk under replication, stripe under RS). */
  hashes: Uint8Array<ArrayBuffer>[];
}

const V1_MAGIC = 'DHM1';
const V2_MAGIC = 'DHM2';
const ERASURE_HEADER_BYTES = 28;
const MIN_CHUNK = 4 * 1024;
const MAX_CHUNK = 16 * 1024 * 1024;
/** The native codec's bounds (client/erasure.ts): k ≤ 24, m ≤ 6. */
const MAX_K = 24;
const MAX_M = 6;
/** Largest manifest copy the page accepts (`defaults.maxShardBytes`). */
export const MAX_MANIFEST_BYTES = 17 * 1024 * 1024;

const magicOf = (bytes: Uint8Array) => String.fromCharCode(...bytes.subarray(0, 4));

/**
 * Decrypts and checks the manifest copy fetched from `column`. Throws `ShareError('MANIFEST_INVALID')`
 * (or `'DECRYPTION_FAILED'` when the tag does not check: wrong key or altered bytes).
 *
 * @example
 * const manifest = await decryptManifest({ fileKey, fileId, column: 0, bytes });
 */
export async function decryptManifest(p: {
  fileKey: Uint8Array<ArrayBuffer>;
  fileId: string;
  column: number;
  bytes: Uint8Array<ArrayBuffer>;
}): Promise<PageManifest> {
  const { bytes, fileId, column } = p;
  const invalid = (why: string) => new ShareError('MANIFEST_INVALID', `the file’s manifest (column ${column}) is invalid: ${why}`, { column });
  if (bytes.length > MAX_MANIFEST_BYTES) throw invalid('too large');
  const magic = bytes.length >= 4 ? magicOf(bytes) : '';
  let version: 1 | 2;
  let nonceAt: number;
  let aad: Uint8Array<ArrayBuffer>;
  let key: Uint8Array<ArrayBuffer>;
  let header: ReturnType<typeof readErasureHeader> | undefined;
  if (magic === V2_MAGIC) {
    version = 2;
    header = readErasureHeader(bytes, invalid);
    nonceAt = ERASURE_HEADER_BYTES;
    aad = concatBytes([Uint8Array.of(2), fromHex(fileId), MANIFEST_WORD, bytes.subarray(0, ERASURE_HEADER_BYTES)]);
    key = await deriveSubKey({ fileKey: p.fileKey, fileId, key: { kind: 'erasure-manifest' } });
  } else if (magic === V1_MAGIC) {
    version = 1;
    nonceAt = 4;
    aad = concatBytes([Uint8Array.of(FORMAT_VERSION), fromHex(fileId), MANIFEST_WORD, uintBytes(column, 4)]);
    key = await deriveSubKey({ fileKey: p.fileKey, fileId, key: { kind: 'manifest', column } });
  } else {
    throw invalid('these bytes are not a dhost manifest');
  }
  if (bytes.length < nonceAt + NONCE_BYTES + TAG_BYTES) throw invalid('too short');
  const plain = await openGcm({ key, nonce: bytes.slice(nonceAt, nonceAt + NONCE_BYTES), aad, sealed: bytes.slice(nonceAt + NONCE_BYTES) });
  if (!plain) {
    throw new ShareError('DECRYPTION_FAILED', 'the manifest does not decrypt with the link’s key: the link is wrong, or the bytes were altered', { column });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    throw invalid('not JSON');
  }
  const manifest = checkManifest(json, version, invalid);
  if (manifest.fileId !== fileId) throw invalid('it belongs to another file');
  if (header) {
    const r = manifest.redundancy as { dataShards: number; parityShards: number };
    const same =
      header.dataShards === r.dataShards &&
      header.parityShards === r.parityShards &&
      header.chunkSize === manifest.chunkSize &&
      header.shardSize === manifest.shardSize &&
      header.stripeCount === manifest.stripeCount &&
      header.size === manifest.size;
    if (!same) throw invalid('it differs from its clear header');
  }
  if (column >= manifest.hashes.length) throw invalid(`it was stored in column ${column} of a ${manifest.hashes.length}-column file`);
  return manifest;
}

function readErasureHeader(bytes: Uint8Array, invalid: (why: string) => ShareError) {
  if (bytes.length < ERASURE_HEADER_BYTES + NONCE_BYTES + TAG_BYTES) throw invalid('too short');
  if (bytes[4] !== 1 || bytes[7] !== 0) throw invalid('unknown scheme in the header');
  const size = readUint(bytes, 20, 8);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('size beyond 2^53');
  return {
    dataShards: bytes[5],
    parityShards: bytes[6],
    chunkSize: Number(readUint(bytes, 8, 4)),
    shardSize: Number(readUint(bytes, 12, 4)),
    stripeCount: Number(readUint(bytes, 16, 4)),
    size: Number(size),
  };
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function checkManifest(json: unknown, version: 1 | 2, invalid: (why: string) => ShareError): PageManifest {
  if (typeof json !== 'object' || json === null) throw invalid('not an object');
  const m = json as Record<string, unknown>;
  if (m.version !== version) throw invalid(`version ${String(m.version)} in a version-${version} copy`);
  if (typeof m.fileId !== 'string' || !/^0x[0-9a-f]{64}$/.test(m.fileId)) throw invalid('fileId');
  if (typeof m.name !== 'string' || m.name.length > 1024) throw invalid('name');
  if (typeof m.mediaType !== 'string' || m.mediaType.length < 1 || m.mediaType.length > 255) throw invalid('mediaType');
  if (!isInt(m.size, 0, Number.MAX_SAFE_INTEGER)) throw invalid('size');
  if (!isInt(m.chunkSize, MIN_CHUNK, MAX_CHUNK)) throw invalid('chunkSize');
  if (m.cipher !== 'aes-256-gcm') throw invalid('cipher');
  const chunkCount = Math.ceil(m.size / m.chunkSize);
  if (m.chunkCount !== chunkCount) throw invalid('chunkCount does not match the size');
  const lastChunkLength = m.size === 0 ? 0 : m.size - (chunkCount - 1) * m.chunkSize;
  if (m.lastChunkLength !== lastChunkLength) throw invalid('lastChunkLength does not match the size');
  const r = m.redundancy as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) throw invalid('redundancy');
  let redundancy: PageManifest['redundancy'];
  let columnCount: number;
  let perColumn: number;
  let shardSize: number | undefined;
  let stripeCount: number | undefined;
  if (version === 1) {
    if (r.scheme !== 'replicate' || !isInt(r.replicas, 1, 256)) throw invalid('redundancy');
    redundancy = { scheme: 'replicate', replicas: r.replicas };
    columnCount = r.replicas;
    perColumn = chunkCount;
  } else {
    if (r.scheme !== 'rs' || !isInt(r.dataShards, 1, MAX_K) || !isInt(r.parityShards, 1, MAX_M)) throw invalid('redundancy');
    redundancy = { scheme: 'rs', dataShards: r.dataShards, parityShards: r.parityShards };
    columnCount = r.dataShards + r.parityShards;
    if (m.shardSize !== m.chunkSize + TAG_BYTES || (m.shardSize as number) % 8 !== 0) throw invalid('shardSize');
    shardSize = m.shardSize as number;
    stripeCount = Math.ceil(chunkCount / r.dataShards);
    if (m.stripeCount !== stripeCount) throw invalid('stripeCount');
    perColumn = stripeCount;
  }
  const columns = m.columns;
  if (!Array.isArray(columns) || columns.length !== columnCount) throw invalid('columns');
  const hashes = columns.map((c: unknown, i) => {
    const entry = c as { column?: unknown; shardSha256?: unknown } | null;
    const bytes = entry && entry.column === i && typeof entry.shardSha256 === 'string' ? fromBase64(entry.shardSha256) : undefined;
    if (!bytes || bytes.length !== perColumn * 32) throw invalid(`column ${i} does not list one hash per shard`);
    return bytes;
  });
  return {
    version,
    fileId: m.fileId,
    name: m.name,
    size: m.size,
    mediaType: m.mediaType,
    chunkSize: m.chunkSize,
    chunkCount,
    lastChunkLength,
    redundancy,
    shardSize,
    stripeCount,
    hashes,
  };
}
