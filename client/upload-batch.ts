import type { FileId } from '../protocol/ids';
import type { FileSource } from './file-source';
import type { OnProgress } from './progress';
import type { Redundancy } from './redundancy';
import { type UploadDeps, type UploadedFile, type UploadFilesResult, type UploadParams, uploadFiles } from './upload';

/** One file of a batch. */
export interface BatchFile {
  source: FileSource;
  name: string;
  /** Default `application/octet-stream`. */
  mediaType?: string;
}

/** What `uploadBatch` is asked to do. Options as `upload`'s, for the whole batch. */
export interface UploadBatchParams extends Pick<UploadParams, 'concurrency' | 'publicEndpointsOnly' | 'fillTimeoutSeconds' | 'pollIntervalMs' | 'replicas'> {
  files: BatchFile[];
  /** One redundancy for the whole batch; default as `upload` (`chooseRedundancy`). */
  redundancy?: Redundancy;
  /** Deal duration in epochs. Default `DEFAULT_DEAL_EPOCHS`. */
  epochs?: number;
  /** Default `defaults.chunkSize`. */
  chunkSize?: number;
  signal?: AbortSignal;
  /** `upload` counts the plaintext bytes of all files; `manifest` the manifests and the header; `fill` the slots. */
  onProgress?: OnProgress;
}

/** What `uploadBatch` returns: one entry per file, in the order given, and what they share. */
export interface UploadBatchResult extends Omit<UploadFilesResult, 'files'> {
  /** The batch's deal id (a fresh random id, no file's id). */
  dealId: FileId;
  files: UploadedFile[];
}

/**
 * Uploads several files as one batch (docs/batches.md): one placement, one deal (a fresh random
 * deal id), one set of k + m (or r) columns, one root commit and one fill per slot, instead of one
 * of each per file. Each file keeps its own random file id, its own key (HKDF from the master and
 * the file id), its own manifest and its own handle, `dhost://<deal id>/<file id>?m=<manifest
 * index>&o=<first shard index>#<key>`; a handle opens its file only.
 *
 * Layout of every column: the files' stripes (chunks under replication) one after another (file i at
 * shard indices [o_i, o_i + n_i)), then file i's encrypted manifest at index S + i (S = all stripes),
 * then the batch header (`encodeBatchHeader`, the clear layout a key-less repairer needs) at
 * `manifest`. One redundancy for the whole batch. Files are read one at a time, in order (memory as
 * for one file, plus each file's manifest until the end); a column that moves to a spare re-reads
 * the files before its gap, checking their plaintext as `upload` does.
 *
 * @example
 * const { dealId, files } = await uploadBatch(deps, {
 *   files: [
 *     { source: await fileSource('a.txt'), name: 'a.txt', mediaType: 'text/plain' },
 *     { source: await fileSource('b.png'), name: 'b.png', mediaType: 'image/png' },
 *   ],
 *   redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 },
 * });
 * for (const f of files) console.log(f.name, f.handle);
 */
export async function uploadBatch(deps: UploadDeps, params: UploadBatchParams): Promise<UploadBatchResult> {
  const { files, ...rest } = params;
  return uploadFiles(deps, { ...rest, files, batch: true });
}
