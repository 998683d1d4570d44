import { MANIFEST_INDEX, type ShardIndex } from '../../protocol/column';
import { BATCH_HEADER_MAGIC, decodeBatchHeader } from '../batch/batch-header';
import { SHARD_ALIGNMENT } from '../erasure';
import { ManifestError } from '../errors';
import { MANIFEST_MAGIC, readErasureHeader } from '../manifest';
import { ReplicatedRepairUnsupportedError } from './errors';

/**
 * What a key-less repairer knows of a Reed-Solomon deal's columns, read from the clear bytes at its
 * `manifest` index: a file alone (a version-2 manifest, docs/erasure.md) or a batch (the batch
 * header, docs/batches.md). Every column is: data stripes at indices 0..stripeCount−1, rebuilt by
 * Reed-Solomon; then `copiedCount` indices copied verbatim from a source (a batch's file manifests,
 * the same ciphertext in every column); then the `manifest` bytes themselves.
 */
export interface RepairLayout {
  /** `file`: one file, its manifest at `manifest`; `batch`: several files, the batch header at `manifest`. */
  kind: 'file' | 'batch';
  dataShards: number;
  parityShards: number;
  chunkSize: number;
  shardSize: number;
  /** Data stripes, shard indices 0..stripeCount−1 (a batch: all files' stripes, S). */
  stripeCount: number;
  /** Indices stripeCount..stripeCount+copiedCount−1, copied as they are (a batch: its F file manifests; a file: 0). */
  copiedCount: number;
}

/**
 * Reads the repair layout from the bytes a holder stores at `manifest`, without any key: a version-2
 * manifest's 28-byte clear header (`readErasureHeader`) or a 24-byte batch header
 * (`decodeBatchHeader`). A replicated file (manifest v1) or a replicated batch →
 * `ReplicatedRepairUnsupportedError` (a replica is rebuilt only by re-encrypting under its column
 * key); anything else unreadable (or a Reed-Solomon shard size that is not a multiple of 8) →
 * `ManifestError`.
 *
 * @example
 * const layout = repairLayoutOf(bytes, { fileId: dealId });
 * console.log(layout.kind, layout.stripeCount, layout.copiedCount);
 */
export function repairLayoutOf(bytes: Uint8Array, p: { fileId: string }): RepairLayout {
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4));
  if (magic.equals(MANIFEST_MAGIC)) throw new ReplicatedRepairUnsupportedError({ fileId: p.fileId });
  if (magic.equals(BATCH_HEADER_MAGIC)) {
    const batch = decodeBatchHeader(bytes);
    const r = batch.redundancy;
    if (r.scheme !== 'rs') throw new ReplicatedRepairUnsupportedError({ fileId: p.fileId, batch: true });
    if (batch.shardSize % SHARD_ALIGNMENT !== 0)
      throw new ManifestError(`batch header is malformed: shard size ${batch.shardSize} is not a multiple of ${SHARD_ALIGNMENT}`);
    return {
      kind: 'batch',
      dataShards: r.dataShards,
      parityShards: r.parityShards,
      chunkSize: batch.chunkSize,
      shardSize: batch.shardSize,
      stripeCount: batch.shardCount,
      copiedCount: batch.entryCount,
    };
  }
  const file = readErasureHeader(bytes);
  return {
    kind: 'file',
    dataShards: file.dataShards,
    parityShards: file.parityShards,
    chunkSize: file.chunkSize,
    shardSize: file.shardSize,
    stripeCount: file.stripeCount,
    copiedCount: 0,
  };
}

/**
 * The indices that close a column after its stripes, in the order the upload fed the column's
 * segment tree: the copied indices (a batch's file manifests, in file order), then `manifest`.
 *
 * @example
 * tailIndicesOf({ stripeCount: 5, copiedCount: 3 }); // [5, 6, 7, 'manifest']
 */
export function tailIndicesOf(layout: Pick<RepairLayout, 'stripeCount' | 'copiedCount'>): ShardIndex[] {
  return [...Array.from({ length: layout.copiedCount }, (_, i) => layout.stripeCount + i), MANIFEST_INDEX];
}
