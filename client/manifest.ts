import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MAX_SHARD_INDEX } from '../protocol/column';
import { defaults } from '../protocol/config';
import { type FileId, MAX_COLUMNS } from '../protocol/ids';
import { chunkCountOf, lastChunkLengthOf } from './chunker';
import { FORMAT_VERSION, NONCE_BYTES, TAG_BYTES } from './cipher';
import { SHARD_ALIGNMENT } from './erasure';
import { ManifestError } from './errors';
import { deriveErasureManifestKey, deriveManifestKey } from './keys';
import { checkRedundancy, columnCountOf, type Redundancy } from './redundancy';

/** The manifest format version of replicated files. */
export const MANIFEST_VERSION = 1;
/** The manifest format version of erasure-coded files (Reed-Solomon over the ciphertext). */
export const ERASURE_MANIFEST_VERSION = 2;
/** The four bytes every encrypted version-1 manifest starts with. */
export const MANIFEST_MAGIC = Buffer.from('DHM1', 'ascii');
/** The four bytes every version-2 (erasure) manifest starts with. */
export const ERASURE_MANIFEST_MAGIC = Buffer.from('DHM2', 'ascii');
/** Length of the clear header of a version-2 manifest (magic included). */
export const ERASURE_HEADER_BYTES = 28;
/** The scheme byte of a version-2 header: 1 = Reed-Solomon. */
const SCHEME_RS = 1;
/** Longest file name a manifest accepts, in characters. */
export const MAX_NAME_LENGTH = 1024;

const SHA256_BYTES = 32;

/**
 * The manifest of a replicated file: a file's recipe, version 1. Per column, `shardSha256` is the SHA-256 of every shard
 * of that column, concatenated in chunk order (32 bytes each) and base64-encoded, which keeps the
 * manifest of a 100k-chunk, 3-replica file near 13 MB, under `defaults.maxShardBytes` (hex JSON
 * arrays would not fit).
 *
 * @example
 * const manifest = manifestSchema.parse(JSON.parse(text));
 */
export const replicatedManifestSchema = z
  .object({
    version: z.literal(MANIFEST_VERSION),
    fileId: z.string().regex(/^0x[0-9a-f]{64}$/),
    name: z.string().max(MAX_NAME_LENGTH),
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    mediaType: z.string().min(1).max(255),
    chunkSize: z.number().int().min(defaults.minChunkSize).max(defaults.maxChunkSize),
    chunkCount: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_SHARD_INDEX + 1),
    cipher: z.literal('aes-256-gcm'),
    redundancy: z.object({ scheme: z.literal('replicate'), replicas: z.number().int().min(1).max(MAX_COLUMNS) }),
    /** True length of the last chunk (0 for an empty file). */
    lastChunkLength: z.number().int().nonnegative(),
    columns: z.array(z.object({ column: z.number().int().nonnegative(), shardSha256: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) })),
    createdAt: z.iso.datetime(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (m.chunkCount !== Math.ceil(m.size / m.chunkSize)) issue(`chunkCount ${m.chunkCount} does not match size ${m.size} at chunk size ${m.chunkSize}`);
    else if (m.lastChunkLength !== lastChunkLengthOf(m.size, m.chunkSize)) issue(`lastChunkLength ${m.lastChunkLength} does not match size ${m.size}`);
    if (m.columns.length !== m.redundancy.replicas) issue(`${m.columns.length} columns listed for ${m.redundancy.replicas} replicas`);
    m.columns.forEach((c, i) => {
      if (c.column !== i) issue(`columns[${i}] is column ${c.column}`);
      if (c.shardSha256.length !== Math.ceil((m.chunkCount * SHA256_BYTES) / 3) * 4) issue(`column ${c.column} does not list one hash per chunk`);
    });
  });

/** A replicated file's manifest (version 1). */
export type ReplicatedManifest = z.infer<typeof replicatedManifestSchema>;

/**
 * The stripe layout of an erasure-coded file (format rule, issue 4):
 *
 * - Chunks are encrypted once, under the erasure chunk key (`deriveErasureChunkKey`, no column):
 *   nonce = chunk index, associated data as under replication. Shard size = chunkSize + 16 (tag),
 *   a multiple of 8 (chunk sizes under RS must be multiples of 8).
 * - Stripe s = data chunks s·k … s·k+k−1, each shard zero-padded to the shard size (they already
 *   are: chunks are padded before encryption); chunks past the end of the file in the last stripe
 *   are all-zero shards; then m parity shards (Reed-Solomon over those k shards).
 * - Column j (0 ≤ j < k+m) stores, at shard index s, shard j of stripe s: every column holds exactly
 *   `stripeCount = ceil(chunkCount / k)` shards of `shardSize` bytes, then the manifest copy, so all
 *   columns have the same length (the chain commits one `segmentCount` for all).
 * - The manifest copy is the same ciphertext in every column, with the clear header
 *   (`readErasureHeader`) bound as associated data.
 *
 * Per column, `shardSha256` is base64 of the SHA-256 of each of its shards, one per stripe.
 *
 * @example
 * const manifest = erasureManifestSchema.parse(JSON.parse(text));
 */
export const erasureManifestSchema = z
  .object({
    version: z.literal(ERASURE_MANIFEST_VERSION),
    fileId: z.string().regex(/^0x[0-9a-f]{64}$/),
    name: z.string().max(MAX_NAME_LENGTH),
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    mediaType: z.string().min(1).max(255),
    chunkSize: z.number().int().min(defaults.minChunkSize).max(defaults.maxChunkSize),
    chunkCount: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_SHARD_INDEX + 1),
    cipher: z.literal('aes-256-gcm'),
    redundancy: z.object({ scheme: z.literal('rs'), dataShards: z.number().int().min(1).max(255), parityShards: z.number().int().min(1).max(255) }),
    lastChunkLength: z.number().int().nonnegative(),
    shardSize: z.number().int().positive(),
    stripeCount: z.number().int().nonnegative(),
    columns: z.array(z.object({ column: z.number().int().nonnegative(), shardSha256: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) })),
    createdAt: z.iso.datetime(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    const { dataShards, parityShards } = m.redundancy;
    if (m.chunkCount !== Math.ceil(m.size / m.chunkSize)) issue(`chunkCount ${m.chunkCount} does not match size ${m.size} at chunk size ${m.chunkSize}`);
    else if (m.lastChunkLength !== lastChunkLengthOf(m.size, m.chunkSize)) issue(`lastChunkLength ${m.lastChunkLength} does not match size ${m.size}`);
    if (m.shardSize !== m.chunkSize + TAG_BYTES || m.shardSize % SHARD_ALIGNMENT !== 0)
      issue(`shardSize ${m.shardSize} is not chunkSize + ${TAG_BYTES} and a multiple of ${SHARD_ALIGNMENT}`);
    if (m.stripeCount !== Math.ceil(m.chunkCount / dataShards))
      issue(`stripeCount ${m.stripeCount} does not match ${m.chunkCount} chunks at k = ${dataShards}`);
    if (m.columns.length !== dataShards + parityShards) issue(`${m.columns.length} columns listed for rs:${dataShards}+${parityShards}`);
    m.columns.forEach((c, i) => {
      if (c.column !== i) issue(`columns[${i}] is column ${c.column}`);
      if (c.shardSha256.length !== Math.ceil((m.stripeCount * SHA256_BYTES) / 3) * 4) issue(`column ${c.column} does not list one hash per stripe`);
    });
  });

/** An erasure-coded file's manifest (version 2). */
export type ErasureManifest = z.infer<typeof erasureManifestSchema>;

/**
 * Either manifest version, told apart by `version` (or `redundancy.scheme`).
 *
 * @example
 * const manifest = manifestSchema.parse(JSON.parse(text));
 */
export const manifestSchema = z.union([replicatedManifestSchema, erasureManifestSchema]);

/** A file's manifest: version 1 (replication) or 2 (Reed-Solomon). */
export type Manifest = ReplicatedManifest | ErasureManifest;

/**
 * The part of a version-2 manifest stored in clear before its ciphertext: enough for a repairer
 * that holds no key to rebuild a column.
 */
export interface ErasureLayout {
  scheme: 'rs';
  dataShards: number;
  parityShards: number;
  chunkSize: number;
  shardSize: number;
  stripeCount: number;
  size: number;
}

/**
 * Number of stripes of a file of `chunkCount` chunks at k data shards: ceil(chunkCount / k).
 *
 * @example
 * stripeCountOf(9, 4); // 3
 */
export function stripeCountOf(chunkCount: number, dataShards: number): number {
  return Math.ceil(chunkCount / dataShards);
}

/**
 * The redundancy a manifest records, as the `Redundancy` type.
 *
 * @example
 * redundancyOf(manifest); // { scheme: 'rs', dataShards: 4, parityShards: 2 }
 */
export function redundancyOf(manifest: Manifest): Redundancy {
  return manifest.version === MANIFEST_VERSION
    ? { scheme: 'replicate', replicas: manifest.redundancy.replicas }
    : { scheme: 'rs', dataShards: manifest.redundancy.dataShards, parityShards: manifest.redundancy.parityShards };
}

/**
 * The shard hashes of one column, 32 bytes per shard index (per chunk under replication, per stripe
 * under erasure coding), in index order.
 *
 * @example
 * const hashes = shardHashesOf(manifest, 0);
 * const hashOfChunk3 = hashes.subarray(3 * 32, 4 * 32);
 */
export function shardHashesOf(manifest: Manifest, column: number): Uint8Array {
  const entry = manifest.columns[column];
  if (!entry) throw new ManifestError(`manifest has no column ${column}`, { details: { column } });
  return new Uint8Array(Buffer.from(entry.shardSha256, 'base64'));
}

/**
 * A manifest's associated data: format version (1 byte) ‖ file id (32 bytes) ‖ ASCII `manifest` ‖
 * column (uint32 big-endian): a copy decrypts only for its own file and column.
 *
 * @example
 * const ad = manifestAssociatedData({ fileId, column: 0 });
 */
export function manifestAssociatedData(params: { fileId: FileId; column: number }): Uint8Array {
  const column = Buffer.alloc(4);
  column.writeUInt32BE(params.column);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), Buffer.from(params.fileId.slice(2), 'hex'), Buffer.from('manifest', 'ascii'), column]);
}

/**
 * Validates a manifest and encrypts it. Version 1: the copy for one column, `DHM1` ‖ random
 * 12-byte nonce ‖ AES-256-GCM ciphertext of the JSON ‖ tag, under that column's manifest key.
 * Version 2: one copy for every column (`column` is ignored), `erasureHeaderOf` (28 clear bytes,
 * `DHM2` first) ‖ random 12-byte nonce ‖ ciphertext ‖ tag under the erasure manifest key, with the
 * header bound in the associated data (`erasureManifestAssociatedData`).
 *
 * @example
 * const bytes = encryptManifest({ fileKey, column: 0, manifest });
 */
export function encryptManifest(params: { fileKey: Uint8Array; column?: number; manifest: Manifest }): Uint8Array {
  const manifest = checkManifest(params.manifest);
  const fileId = manifest.fileId as FileId;
  if (manifest.version === ERASURE_MANIFEST_VERSION) return encryptErasureManifest(params.fileKey, manifest);
  if (params.column === undefined) throw new ManifestError('a version-1 manifest is encrypted for one column: give the column');
  const column = params.column;
  const key = deriveManifestKey({ fileKey: params.fileKey, fileId, column });
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(manifestAssociatedData({ fileId, column }));
  const body = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(manifest), 'utf8')), cipher.final()]);
  return checkLength(Buffer.concat([MANIFEST_MAGIC, nonce, body, cipher.getAuthTag()]));
}

function checkLength(out: Buffer): Buffer {
  if (out.length > defaults.maxShardBytes)
    throw new ManifestError('manifest is larger than a shard may be', { details: { bytes: out.length, max: defaults.maxShardBytes } });
  return out;
}

/**
 * The 28-byte clear header of a version-2 manifest, all integers big-endian: `DHM2` (4) ‖ scheme
 * (1 byte, 1 = Reed-Solomon) ‖ k (1) ‖ m (1) ‖ reserved zero (1) ‖ chunkSize (uint32) ‖ shardSize
 * (uint32) ‖ stripeCount (uint32) ‖ size (uint64).
 *
 * @example
 * const header = erasureHeaderOf({ scheme: 'rs', dataShards: 4, parityShards: 2, chunkSize: 4096, shardSize: 4112, stripeCount: 1, size: 10 });
 */
export function erasureHeaderOf(layout: ErasureLayout): Buffer {
  const h = Buffer.alloc(ERASURE_HEADER_BYTES);
  ERASURE_MANIFEST_MAGIC.copy(h, 0);
  h.writeUInt8(SCHEME_RS, 4);
  h.writeUInt8(layout.dataShards, 5);
  h.writeUInt8(layout.parityShards, 6);
  h.writeUInt32BE(layout.chunkSize, 8);
  h.writeUInt32BE(layout.shardSize, 12);
  h.writeUInt32BE(layout.stripeCount, 16);
  h.writeBigUInt64BE(BigInt(layout.size), 20);
  return h;
}

/**
 * Reads and checks the clear header of a version-2 manifest copy, without any key: what a repairer
 * needs to rebuild a column (scheme, k, m, chunk size, shard size, stripe count, file size). Throws
 * `ManifestError` when the bytes are not a version-2 manifest or the header is inconsistent (unknown
 * scheme, k or m out of the codec's bounds, shard size ≠ chunk size + 16 or not a multiple of 8,
 * stripe count ≠ ceil(ceil(size / chunkSize) / k), reserved byte set).
 *
 * @example
 * const { dataShards, parityShards, shardSize, stripeCount } = readErasureHeader(bytes);
 */
export function readErasureHeader(bytes: Uint8Array): ErasureLayout {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (h.length < ERASURE_HEADER_BYTES + NONCE_BYTES + TAG_BYTES || !h.subarray(0, 4).equals(ERASURE_MANIFEST_MAGIC))
    throw new ManifestError('bytes are not a version-2 dhost manifest (magic DHM2)');
  const fail = (why: string): never => {
    throw new ManifestError(`version-2 manifest header is malformed: ${why}`);
  };
  if (h.readUInt8(4) !== SCHEME_RS) fail(`unknown scheme ${h.readUInt8(4)}`);
  if (h.readUInt8(7) !== 0) fail('reserved byte is not zero');
  const layout: ErasureLayout = {
    scheme: 'rs',
    dataShards: h.readUInt8(5),
    parityShards: h.readUInt8(6),
    chunkSize: h.readUInt32BE(8),
    shardSize: h.readUInt32BE(12),
    stripeCount: h.readUInt32BE(16),
    size: 0,
  };
  const size = h.readBigUInt64BE(20);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail('size is beyond 2^53');
  layout.size = Number(size);
  try {
    checkRedundancy({ scheme: 'rs', dataShards: layout.dataShards, parityShards: layout.parityShards });
  } catch (cause) {
    fail(cause instanceof Error ? cause.message : String(cause));
  }
  if (layout.chunkSize < defaults.minChunkSize || layout.chunkSize > defaults.maxChunkSize) fail(`chunk size ${layout.chunkSize} is out of bounds`);
  if (layout.shardSize !== layout.chunkSize + TAG_BYTES || layout.shardSize % SHARD_ALIGNMENT !== 0)
    fail(`shard size ${layout.shardSize} is not chunk size + ${TAG_BYTES} and a multiple of ${SHARD_ALIGNMENT}`);
  const chunkCount = Math.ceil(layout.size / layout.chunkSize);
  if (chunkCount > MAX_SHARD_INDEX + 1 || layout.stripeCount !== stripeCountOf(chunkCount, layout.dataShards))
    fail(`stripe count ${layout.stripeCount} does not match size ${layout.size}`);
  return layout;
}

/**
 * A version-2 manifest's associated data: `2` (1 byte) ‖ file id (32 bytes) ‖ ASCII `manifest` ‖
 * the 28-byte clear header: the copy decrypts only for its own file, and only with the header it
 * was written with (a repairer can read the header, nobody can change it unnoticed).
 *
 * @example
 * const ad = erasureManifestAssociatedData({ fileId, header });
 */
export function erasureManifestAssociatedData(params: { fileId: FileId; header: Uint8Array }): Uint8Array {
  return Buffer.concat([Buffer.of(ERASURE_MANIFEST_VERSION), Buffer.from(params.fileId.slice(2), 'hex'), Buffer.from('manifest', 'ascii'), params.header]);
}

function layoutOf(manifest: ErasureManifest): ErasureLayout {
  return {
    scheme: 'rs',
    dataShards: manifest.redundancy.dataShards,
    parityShards: manifest.redundancy.parityShards,
    chunkSize: manifest.chunkSize,
    shardSize: manifest.shardSize,
    stripeCount: manifest.stripeCount,
    size: manifest.size,
  };
}

function encryptErasureManifest(fileKey: Uint8Array, manifest: ErasureManifest): Uint8Array {
  const fileId = manifest.fileId as FileId;
  const header = erasureHeaderOf(layoutOf(manifest));
  readErasureHeader(Buffer.concat([header, Buffer.alloc(NONCE_BYTES + TAG_BYTES)]));
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveErasureManifestKey({ fileKey, fileId }), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(erasureManifestAssociatedData({ fileId, header }));
  const body = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(manifest), 'utf8')), cipher.final()]);
  return checkLength(Buffer.concat([header, nonce, body, cipher.getAuthTag()]));
}

function checkManifest(value: unknown): Manifest {
  const parsed = (
    typeof value === 'object' && value !== null && (value as { version?: unknown }).version === ERASURE_MANIFEST_VERSION
      ? erasureManifestSchema
      : replicatedManifestSchema
  ).safeParse(value);
  if (!parsed.success) {
    throw new ManifestError(`manifest is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * Decrypts and validates one column's manifest copy, either version (told apart by the magic,
 * `DHM1` or `DHM2`). Throws `ManifestError` when the bytes are too large, lack the magic, have a
 * malformed clear header (version 2), fail the tag check (forged, altered, or made for another file
 * or column), are not a valid manifest, disagree with their header, name another file id (foreign),
 * or were fetched from a column the file does not have.
 *
 * @example
 * const manifest = decryptManifest({ fileKey, fileId, column: 1, bytes });
 */
export function decryptManifest(params: { fileKey: Uint8Array; fileId: FileId; column: number; bytes: Uint8Array; maxBytes?: number }): Manifest {
  const { bytes, fileId, column } = params;
  const maxBytes = params.maxBytes ?? defaults.maxShardBytes;
  if (bytes.length > maxBytes) throw new ManifestError(`manifest is larger than ${maxBytes} bytes`, { details: { bytes: bytes.length, column } });
  if (bytes.length >= 4 && Buffer.from(bytes.subarray(0, 4)).equals(ERASURE_MANIFEST_MAGIC)) return decryptErasureManifest(params);
  const headerBytes = MANIFEST_MAGIC.length + NONCE_BYTES;
  if (bytes.length < headerBytes + TAG_BYTES || !Buffer.from(bytes.subarray(0, MANIFEST_MAGIC.length)).equals(MANIFEST_MAGIC)) {
    throw new ManifestError('bytes are not an encrypted dhost manifest (magic DHM1)', { details: { column } });
  }
  const json = openManifestJson({
    key: deriveManifestKey({ fileKey: params.fileKey, fileId, column }),
    bytes,
    nonceAt: MANIFEST_MAGIC.length,
    aad: manifestAssociatedData({ fileId, column }),
    tagFailure: 'manifest failed its authentication tag: forged, altered, or made for another file, key or column',
    details: { fileId, column },
  });
  const manifest = checkManifest(json);
  if (manifest.version !== MANIFEST_VERSION) throw new ManifestError('a DHM1 copy holds a version-2 manifest', { details: { column } });
  if (manifest.fileId !== fileId) throw new ManifestError('manifest belongs to another file', { details: { expected: fileId, found: manifest.fileId } });
  if (column >= manifest.redundancy.replicas)
    throw new ManifestError(`manifest copy stored in column ${column} of a ${manifest.redundancy.replicas}-column file`);
  chunkCountOf(manifest.size, manifest.chunkSize);
  return manifest;
}

/**
 * Opens an encrypted manifest copy — `nonce ‖ ciphertext ‖ tag` from `nonceAt` to the end — and
 * parses its JSON; `ManifestError` with `tagFailure` when the tag does not check, or "not JSON".
 */
function openManifestJson(p: {
  key: Uint8Array;
  bytes: Uint8Array;
  nonceAt: number;
  aad: Uint8Array;
  tagFailure: string;
  details: { fileId: FileId; column: number };
}): unknown {
  const bodyStart = p.nonceAt + NONCE_BYTES;
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', p.key, p.bytes.subarray(p.nonceAt, bodyStart), { authTagLength: TAG_BYTES });
    decipher.setAAD(p.aad);
    decipher.setAuthTag(p.bytes.subarray(p.bytes.length - TAG_BYTES));
    text = Buffer.concat([decipher.update(p.bytes.subarray(bodyStart, p.bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new ManifestError(p.tagFailure, { details: p.details, cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ManifestError('manifest is not JSON', { details: { column: p.details.column }, cause });
  }
}

function decryptErasureManifest(params: { fileKey: Uint8Array; fileId: FileId; column: number; bytes: Uint8Array }): ErasureManifest {
  const { bytes, fileId, column } = params;
  const layout = readErasureHeader(bytes);
  const header = bytes.subarray(0, ERASURE_HEADER_BYTES);
  const json = openManifestJson({
    key: deriveErasureManifestKey({ fileKey: params.fileKey, fileId }),
    bytes,
    nonceAt: ERASURE_HEADER_BYTES,
    aad: erasureManifestAssociatedData({ fileId, header }),
    tagFailure: 'manifest failed its authentication tag: forged, altered (header included), or made for another file or key',
    details: { fileId, column },
  });
  const manifest = checkManifest(json);
  if (manifest.version !== ERASURE_MANIFEST_VERSION) throw new ManifestError('a DHM2 copy holds a version-1 manifest', { details: { column } });
  if (manifest.fileId !== fileId) throw new ManifestError('manifest belongs to another file', { details: { expected: fileId, found: manifest.fileId } });
  const inJson = layoutOf(manifest);
  for (const field of Object.keys(layout) as (keyof ErasureLayout)[]) {
    if (inJson[field] !== layout[field])
      throw new ManifestError(`manifest ${field} differs from its clear header`, { details: { field, header: layout[field], manifest: inJson[field] } });
  }
  if (column >= columnCountOf(redundancyOf(manifest)))
    throw new ManifestError(`manifest copy stored in column ${column} of a ${columnCountOf(redundancyOf(manifest))}-column file`);
  return manifest;
}

/** The longest `Date.prototype.toISOString()` result (`+275760-09-13T00:00:00.000Z`), for the size bound. */
const LONGEST_ISO_DATE = '+275760-09-13T00:00:00.000Z';

/**
 * An upper bound of the size of one encrypted manifest copy (`encryptManifest`) of a file with these
 * parameters (`redundancy`, or `replicas` for replication). Every field of the JSON is known before
 * the upload except the shard hashes (fixed length: base64 of 32 bytes per shard index, characters
 * JSON never escapes), the column numbers (known from the redundancy), the file id (fixed length)
 * and `createdAt` (at most 27 characters from `toISOString`). So the bound is the exact JSON length
 * of a stand-in manifest with the longest date, plus the magic or clear header, nonce and tag: tight
 * to a few bytes, and safe for any name (escapes are counted by serialising the real name). Deals
 * declare `bytesPerSlot` from it.
 *
 * @example
 * manifestBytesBound({ name: 'a.txt', mediaType: 'text/plain', size: 5, chunkSize: 1 << 20, replicas: 3 }); // a few hundred bytes
 * manifestBytesBound({ name: 'a.txt', mediaType: 'text/plain', size: 5, chunkSize: 1 << 20, redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } });
 */
export function manifestBytesBound(params: {
  name: string;
  mediaType: string;
  size: number;
  chunkSize: number;
  replicas?: number;
  redundancy?: Redundancy;
}): number {
  const redundancy: Redundancy = params.redundancy ?? { scheme: 'replicate', replicas: params.replicas ?? defaults.replicas };
  const chunkCount = chunkCountOf(params.size, params.chunkSize);
  const common = {
    fileId: `0x${'0'.repeat(64)}`,
    name: params.name,
    size: params.size,
    mediaType: params.mediaType,
    chunkSize: params.chunkSize,
    chunkCount,
    cipher: 'aes-256-gcm' as const,
    lastChunkLength: lastChunkLengthOf(params.size, params.chunkSize),
  };
  const hashesFor = (count: number) => 'A'.repeat(Math.ceil((count * SHA256_BYTES) / 3) * 4);
  const columns = columnCountOf(redundancy);
  if (redundancy.scheme === 'replicate') {
    const standIn: ReplicatedManifest = {
      version: MANIFEST_VERSION,
      ...common,
      redundancy: { scheme: 'replicate', replicas: redundancy.replicas },
      columns: Array.from({ length: columns }, (_, column) => ({ column, shardSha256: hashesFor(chunkCount) })),
      createdAt: LONGEST_ISO_DATE,
    };
    return MANIFEST_MAGIC.length + NONCE_BYTES + Buffer.byteLength(JSON.stringify(standIn), 'utf8') + TAG_BYTES;
  }
  const stripeCount = stripeCountOf(chunkCount, redundancy.dataShards);
  const standIn: ErasureManifest = {
    version: ERASURE_MANIFEST_VERSION,
    ...common,
    redundancy: { scheme: 'rs', dataShards: redundancy.dataShards, parityShards: redundancy.parityShards },
    shardSize: params.chunkSize + TAG_BYTES,
    stripeCount,
    columns: Array.from({ length: columns }, (_, column) => ({ column, shardSha256: hashesFor(stripeCount) })),
    createdAt: LONGEST_ISO_DATE,
  };
  // Key order matters for the length only through separators; the real manifest has the same keys.
  return ERASURE_HEADER_BYTES + NONCE_BYTES + Buffer.byteLength(JSON.stringify(standIn), 'utf8') + TAG_BYTES;
}
