import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { type DownloadDeps, type DownloadParams, download } from './download';
import type { Manifest } from './manifest';

/**
 * Downloads a file to `outPath`: writes into a temporary file in the same folder (`.<name>.<random>.part`),
 * flushes it to disk, and renames it over `outPath` only when every byte was verified. On any error
 * (lost chunks, abort, a full disk) the temporary file is removed and `outPath` is left untouched.
 *
 * @example
 * const { bytes, manifest } = await downloadToFile({ peers }, { handle, outPath: './photo.jpg' });
 */
export async function downloadToFile(
  deps: DownloadDeps,
  params: Omit<DownloadParams, 'onManifest'> & { outPath: string },
): Promise<{ bytes: number; manifest: Manifest }> {
  const dir = path.dirname(path.resolve(params.outPath));
  const tmp = path.join(dir, `.${path.basename(params.outPath)}.${randomBytes(6).toString('hex')}.part`);
  let manifest: Manifest | undefined;
  let bytes = 0;
  const file = await open(tmp, 'wx');
  try {
    // Each piece is written out before the next is asked for: pieces may share reused buffers.
    for await (const piece of download(deps, { ...params, reusePieces: true, onManifest: (m) => (manifest = m) })) {
      let offset = 0;
      while (offset < piece.length) {
        const { bytesWritten } = await file.write(piece, offset, piece.length - offset);
        offset += bytesWritten;
      }
      bytes += piece.length;
    }
    await file.sync();
    await file.close();
    await rename(tmp, params.outPath);
  } catch (err) {
    await file.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  return { bytes, manifest: manifest! };
}
