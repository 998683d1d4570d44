import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MAX_SHARD_INDEX } from '../protocol/column';
import { defaults } from '../protocol/config';
import { type FileId, MAX_COLUMNS } from '../protocol/ids';
import { chunkCountOf, lastChunkLengthOf } from './chunker';
import { FORMAT_VERSION, NONCE_BYTES, TAG_BYTES } from './cipher';
import { ManifestError } from './errors';
import { deriveManifestKey } from './keys';

/** The manifest format version. */
export const MANIFEST_VERSION = 1;
/** The four bytes every encrypted manifest starts with. */
export const MANIFEST_MAGIC = Buffer.from('DHM1', 'ascii');
/** Longest file name a manifest accepts, in characters. */
export const MAX_NAME_LENGTH = 1024;

const SHA256_BYTES = 32;

/**
 * The manifest: a file's recipe, version 1. Per column, `shardSha256` is the SHA-256 of every shard
 * of that column, concatenated in chunk order (32 bytes each) and base64-encoded, which keeps the
 * manifest of a 100k-chunk, 3-replica file near 13 MB, under `defaults.maxShardBytes` (hex JSON
 * arrays would not fit).
 *
 * @example
 * const manifest = manifestSchema.parse(JSON.parse(text));
 */
export const manifestSchema = z
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

/** A file's manifest. */
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * The shard hashes of one column, 32 bytes per chunk in chunk order.
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
 * Validates a manifest and encrypts the copy for one column: `DHM1` ‖ random 12-byte nonce ‖
 * AES-256-GCM ciphertext of the JSON ‖ tag, under that column's manifest key.
 *
 * @example
 * const bytes = encryptManifest({ fileKey, column: 0, manifest });
 */
export function encryptManifest(params: { fileKey: Uint8Array; column: number; manifest: Manifest }): Uint8Array {
  const manifest = checkManifest(params.manifest);
  const fileId = manifest.fileId as FileId;
  const key = deriveManifestKey({ fileKey: params.fileKey, fileId, column: params.column });
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(manifestAssociatedData({ fileId, column: params.column }));
  const body = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(manifest), 'utf8')), cipher.final()]);
  const out = Buffer.concat([MANIFEST_MAGIC, nonce, body, cipher.getAuthTag()]);
  if (out.length > defaults.maxShardBytes)
    throw new ManifestError('manifest is larger than a shard may be', { details: { bytes: out.length, max: defaults.maxShardBytes } });
  return out;
}

function checkManifest(value: unknown): Manifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    throw new ManifestError(`manifest is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * Decrypts and validates one column's manifest copy. Throws `ManifestError` when the bytes are too
 * large, lack the magic, fail the tag check (forged, altered, or made for another file or column),
 * are not a valid version-1 manifest, or name another file id (foreign).
 *
 * @example
 * const manifest = decryptManifest({ fileKey, fileId, column: 1, bytes });
 */
export function decryptManifest(params: { fileKey: Uint8Array; fileId: FileId; column: number; bytes: Uint8Array; maxBytes?: number }): Manifest {
  const { bytes, fileId, column } = params;
  const maxBytes = params.maxBytes ?? defaults.maxShardBytes;
  if (bytes.length > maxBytes) throw new ManifestError(`manifest is larger than ${maxBytes} bytes`, { details: { bytes: bytes.length, column } });
  const headerBytes = MANIFEST_MAGIC.length + NONCE_BYTES;
  if (bytes.length < headerBytes + TAG_BYTES || !Buffer.from(bytes.subarray(0, MANIFEST_MAGIC.length)).equals(MANIFEST_MAGIC)) {
    throw new ManifestError('bytes are not an encrypted dhost manifest (magic DHM1)', { details: { column } });
  }
  let text: string;
  try {
    const key = deriveManifestKey({ fileKey: params.fileKey, fileId, column });
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(MANIFEST_MAGIC.length, headerBytes), { authTagLength: TAG_BYTES });
    decipher.setAAD(manifestAssociatedData({ fileId, column }));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    text = Buffer.concat([decipher.update(bytes.subarray(headerBytes, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new ManifestError('manifest failed its authentication tag: forged, altered, or made for another file, key or column', {
      details: { fileId, column },
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError('manifest is not JSON', { details: { column }, cause });
  }
  const manifest = checkManifest(json);
  if (manifest.fileId !== fileId) throw new ManifestError('manifest belongs to another file', { details: { expected: fileId, found: manifest.fileId } });
  if (column >= manifest.redundancy.replicas)
    throw new ManifestError(`manifest copy stored in column ${column} of a ${manifest.redundancy.replicas}-column file`);
  chunkCountOf(manifest.size, manifest.chunkSize);
  return manifest;
}

/** The longest `Date.prototype.toISOString()` result (`+275760-09-13T00:00:00.000Z`), for the size bound. */
const LONGEST_ISO_DATE = '+275760-09-13T00:00:00.000Z';

/**
 * An upper bound of the size of one encrypted manifest copy (`encryptManifest`) of a file with these
 * parameters. Every field of the JSON is known before the upload except the shard hashes (fixed
 * length: base64 of 32 bytes per chunk, characters JSON never escapes), the column numbers (known
 * from `replicas`), the file id (fixed length) and `createdAt` (at most 27 characters from
 * `toISOString`). So the bound is the exact JSON length of a stand-in manifest with the longest
 * date, plus the magic, nonce and tag: tight to a few bytes, and safe for any name (escapes are
 * counted by serialising the real name). Deals declare `bytesPerSlot` from it.
 *
 * @example
 * manifestBytesBound({ name: 'a.txt', mediaType: 'text/plain', size: 5, chunkSize: 1 << 20, replicas: 3 }); // a few hundred bytes
 */
export function manifestBytesBound(params: { name: string; mediaType: string; size: number; chunkSize: number; replicas: number }): number {
  const chunkCount = chunkCountOf(params.size, params.chunkSize);
  const hashes = 'A'.repeat(Math.ceil((chunkCount * SHA256_BYTES) / 3) * 4);
  const standIn: Manifest = {
    version: MANIFEST_VERSION,
    fileId: `0x${'0'.repeat(64)}`,
    name: params.name,
    size: params.size,
    mediaType: params.mediaType,
    chunkSize: params.chunkSize,
    chunkCount,
    cipher: 'aes-256-gcm',
    redundancy: { scheme: 'replicate', replicas: params.replicas },
    lastChunkLength: lastChunkLengthOf(params.size, params.chunkSize),
    columns: Array.from({ length: params.replicas }, (_, column) => ({ column, shardSha256: hashes })),
    createdAt: LONGEST_ISO_DATE,
  };
  return MANIFEST_MAGIC.length + NONCE_BYTES + Buffer.byteLength(JSON.stringify(standIn), 'utf8') + TAG_BYTES;
}
