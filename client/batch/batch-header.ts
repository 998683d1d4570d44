import { MAX_SHARD_INDEX } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import { TAG_BYTES } from '../cipher';
import { ManifestError } from '../errors';
import { checkRedundancy, type Redundancy } from '../redundancy';

/** The four bytes a batch's clear layout (stored at the `manifest` index of every column) starts with. */
export const BATCH_HEADER_MAGIC = Buffer.from('DHB1', 'ascii');
/** Length of a batch header, bytes. */
export const BATCH_HEADER_BYTES = 24;

const SCHEME_RS = 1;
const SCHEME_REPLICATE = 2;

/**
 * What every column of a batch deal says in clear at its `manifest` index (docs/batches.md): the
 * redundancy, the chunk and shard sizes, how many data shard indices (`shardCount`, indices
 * 0..shardCount−1) and how many per-file manifest entries (indices shardCount..shardCount+entryCount−1)
 * the column holds. Enough for a repairer without any key; nothing about the files themselves.
 */
export interface BatchLayout {
  redundancy: Redundancy;
  chunkSize: number;
  shardSize: number;
  shardCount: number;
  entryCount: number;
}

/**
 * Encodes a batch layout, integers big-endian: `DHB1` (4) ‖ scheme (1: 1 = Reed-Solomon, 2 =
 * replication) ‖ k or r (1) ‖ m or 0 (1) ‖ reserved 0 (1) ‖ chunkSize (uint32) ‖ shardSize (uint32)
 * ‖ shardCount (uint32) ‖ entryCount (uint32). The same bytes go to every column.
 *
 * @example
 * const header = encodeBatchHeader({ redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 }, chunkSize: 4096, shardSize: 4112, shardCount: 3, entryCount: 2 });
 */
export function encodeBatchHeader(layout: BatchLayout): Buffer {
  const h = Buffer.alloc(BATCH_HEADER_BYTES);
  BATCH_HEADER_MAGIC.copy(h, 0);
  const r = layout.redundancy;
  h.writeUInt8(r.scheme === 'rs' ? SCHEME_RS : SCHEME_REPLICATE, 4);
  h.writeUInt8(r.scheme === 'rs' ? r.dataShards : r.replicas, 5);
  h.writeUInt8(r.scheme === 'rs' ? r.parityShards : 0, 6);
  h.writeUInt32BE(layout.chunkSize, 8);
  h.writeUInt32BE(layout.shardSize, 12);
  h.writeUInt32BE(layout.shardCount, 16);
  h.writeUInt32BE(layout.entryCount, 20);
  decodeBatchHeader(h); // refuse to write what a reader would refuse
  return h;
}

/**
 * Reads and checks a batch header without any key. Throws `ManifestError` when the bytes are not a
 * batch header (another length or magic) or are inconsistent (unknown scheme, redundancy out of
 * bounds, shard size ≠ chunk size + 16, indices beyond the column's range, reserved byte set).
 *
 * @example
 * const { redundancy, shardCount, entryCount } = decodeBatchHeader(bytes);
 */
export function decodeBatchHeader(bytes: Uint8Array): BatchLayout {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (h.length !== BATCH_HEADER_BYTES || !h.subarray(0, 4).equals(BATCH_HEADER_MAGIC))
    throw new ManifestError('bytes are not a dhost batch header (magic DHB1, 24 bytes)');
  const fail = (why: string): never => {
    throw new ManifestError(`batch header is malformed: ${why}`);
  };
  const scheme = h.readUInt8(4);
  if (h.readUInt8(7) !== 0) fail('reserved byte is not zero');
  let redundancy: Redundancy;
  if (scheme === SCHEME_RS) redundancy = { scheme: 'rs', dataShards: h.readUInt8(5), parityShards: h.readUInt8(6) };
  else if (scheme === SCHEME_REPLICATE && h.readUInt8(6) === 0) redundancy = { scheme: 'replicate', replicas: h.readUInt8(5) };
  else return fail(`unknown scheme ${scheme}`);
  try {
    checkRedundancy(redundancy);
  } catch (cause) {
    fail(cause instanceof Error ? cause.message : String(cause));
  }
  const layout: BatchLayout = {
    redundancy,
    chunkSize: h.readUInt32BE(8),
    shardSize: h.readUInt32BE(12),
    shardCount: h.readUInt32BE(16),
    entryCount: h.readUInt32BE(20),
  };
  if (layout.chunkSize < defaults.minChunkSize || layout.chunkSize > defaults.maxChunkSize) fail(`chunk size ${layout.chunkSize} is out of bounds`);
  if (layout.shardSize !== layout.chunkSize + TAG_BYTES) fail(`shard size ${layout.shardSize} is not chunk size + ${TAG_BYTES}`);
  if (layout.entryCount < 1 || layout.shardCount + layout.entryCount > MAX_SHARD_INDEX + 1)
    fail(`${layout.shardCount} shards and ${layout.entryCount} entries do not fit a column`);
  return layout;
}
