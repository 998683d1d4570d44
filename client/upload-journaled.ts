import { stat } from 'node:fs/promises';
import path from 'node:path';
import { defaults } from '../protocol/config';
import { DhostError } from '../protocol/errors';
import { fileSource } from './file-source';
import type { Keystore } from './keystore';
import { DEFAULT_DEAL_EPOCHS, DEFAULT_FILL_TIMEOUT_SECONDS, type UploadDeps, type UploadParams, type UploadResult, upload } from './upload';
import { uploadJournalWriter } from './upload-journal-writer';

/** What `uploadWithJournal` needs beyond `upload`'s deps: the dhost home (the journal goes there) and, optionally, the keystore. */
export interface JournaledUploadDeps extends UploadDeps {
  home: string;
  /** When given, the finished upload is recorded there before the journal is removed. */
  keystore?: Pick<Keystore, 'recordUpload'>;
}

/**
 * The keystore entry of a finished upload, dated `uploadedAt` (default now).
 *
 * @example
 * await keystore.recordUpload(uploadEntryOf(result));
 */
export function uploadEntryOf(result: UploadResult, uploadedAt: Date = new Date()) {
  return {
    fileId: result.fileId,
    name: result.name,
    size: result.size,
    chunkCount: result.chunkCount,
    replicas: result.replicas,
    columns: result.columns,
    uploadedAt: uploadedAt.toISOString(),
  };
}

/**
 * Uploads a file from disk like `upload`, keeping an upload journal (`client/upload-journal.ts`)
 * under `<home>/pending-uploads/` from before the deal is opened until the upload is recorded, so
 * that a crash (`kill -9`, power loss) leaves what `resumeUpload` needs to finish it without
 * opening a second deal or re-sending what already landed. On success the upload is recorded in
 * the keystore (when given) and the journal removed. On a failure the upload handles itself (its
 * deal cancelled and refunded) the journal is removed too; it stays only while the deal it names is
 * still open (the process died, or the cancel failed).
 *
 * @example
 * const result = await uploadWithJournal({ ...deps, home, keystore }, { path: 'photo.jpg', redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } });
 */
export async function uploadWithJournal(
  deps: JournaledUploadDeps,
  params: Omit<UploadParams, 'source' | 'name'> & { path: string; name?: string },
): Promise<UploadResult> {
  const { path: given, name, ...rest } = params;
  const file = path.resolve(given);
  const info = await stat(file);
  const source = await fileSource(file);
  const journal = uploadJournalWriter(deps, {
    files: [
      {
        path: file,
        name: name ?? path.basename(file),
        mediaType: rest.mediaType ?? 'application/octet-stream',
        size: info.size,
        mtimeMs: info.mtimeMs,
      },
    ],
    chunkSize: rest.chunkSize ?? defaults.chunkSize,
    epochs: rest.epochs ?? DEFAULT_DEAL_EPOCHS,
    fillTimeoutSeconds: rest.fillTimeoutSeconds ?? DEFAULT_FILL_TIMEOUT_SECONDS,
  });
  let result: UploadResult;
  try {
    result = await upload(deps, { ...rest, source, name: name ?? path.basename(file), checkpoints: journal.checkpoints });
  } catch (err) {
    const refund = err instanceof DhostError ? (err.details.refund as { cancelled?: boolean } | undefined) : undefined;
    if (!journal.opened || refund?.cancelled) await journal.remove();
    throw err;
  }
  await deps.keystore?.recordUpload(uploadEntryOf(result));
  await journal.remove();
  return result;
}
